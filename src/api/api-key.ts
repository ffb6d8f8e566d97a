import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SettingStore } from '../store/setting-store.ts';

/** The store setting holding the hash of the generated API key (never the key itself). */
export const apiKeyHashSetting = 'api.keyHash';

/** Checks a presented bearer key. Holds only a hash, so the key cannot leak from memory dumps or logs. */
export interface ApiKeyVerifier {
  verify(candidate: string): boolean;
}

/**
 * SHA-256 rather than a slow KDF: a generated key carries 256 random bits, so it cannot be brute-forced from its
 * hash, and every request verifies the key, so the check must stay cheap. Prefixed to allow a later scheme.
 */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export function apiKeyVerifierFromHash(keyHash: string): ApiKeyVerifier {
  const expected = Buffer.from(keyHash, 'utf8');
  return {
    verify(candidate) {
      // Comparing fixed-length hashes in constant time: neither the key's length nor a matching prefix leaks
      // through response timing.
      const actual = Buffer.from(hashApiKey(candidate), 'utf8');
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export function generateApiKey(): string {
  return `sl_${randomBytes(32).toString('base64url')}`;
}

/**
 * The API key in force: the configured one (`SYNCLINE_API_KEY`), else the stored hash of the key generated on
 * an earlier start, else a new key whose hash is stored now. `generatedKey` is set only in that last case, so
 * the caller can show it to the operator exactly once; it must never be logged.
 */
export async function provisionApiKey(
  configuredKey: string | undefined,
  settings: SettingStore,
): Promise<{ verifier: ApiKeyVerifier; generatedKey: string | undefined }> {
  if (configuredKey !== undefined) {
    return { verifier: apiKeyVerifierFromHash(hashApiKey(configuredKey)), generatedKey: undefined };
  }
  const storedHash = await settings.getSetting(apiKeyHashSetting);
  if (storedHash !== undefined)
    return { verifier: apiKeyVerifierFromHash(storedHash), generatedKey: undefined };
  const generatedKey = generateApiKey();
  const keyHash = hashApiKey(generatedKey);
  await settings.setSetting(apiKeyHashSetting, keyHash);
  return { verifier: apiKeyVerifierFromHash(keyHash), generatedKey };
}
