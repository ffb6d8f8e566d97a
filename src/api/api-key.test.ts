import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiKeyHashSetting, apiKeyVerifierFromHash, hashApiKey, provisionApiKey } from './api-key.ts';

function memorySettings() {
  const values = new Map<string, string>();
  return {
    values,
    getSetting: async (key: string) => values.get(key),
    setSetting: async (key: string, value: string) => void values.set(key, value),
  };
}

test('a verifier accepts exactly the key it was built for', () => {
  const verifier = apiKeyVerifierFromHash(hashApiKey('correct horse'));
  assert.equal(verifier.verify('correct horse'), true);
  for (const wrong of ['', 'correct hors', 'correct horse ', 'Correct horse', 'correct horsee']) {
    assert.equal(verifier.verify(wrong), false, JSON.stringify(wrong));
  }
});

test('the first start without SYNCLINE_API_KEY generates a key and stores only its hash', async () => {
  const settings = memorySettings();
  const first = await provisionApiKey(undefined, settings);
  assert.ok(first.generatedKey !== undefined);
  assert.match(first.generatedKey, /^sl_[A-Za-z0-9_-]{43}$/);
  const stored = settings.values.get(apiKeyHashSetting);
  assert.equal(stored, hashApiKey(first.generatedKey));
  assert.ok(!stored.includes(first.generatedKey.slice(3)), 'the stored value must not contain the key');
  assert.equal(first.verifier.verify(first.generatedKey), true);

  // A restart reuses the stored hash and shows nothing again.
  const second = await provisionApiKey(undefined, settings);
  assert.equal(second.generatedKey, undefined);
  assert.equal(second.verifier.verify(first.generatedKey), true);
});

test('two generated keys differ', async () => {
  const a = await provisionApiKey(undefined, memorySettings());
  const b = await provisionApiKey(undefined, memorySettings());
  assert.notEqual(a.generatedKey, b.generatedKey);
});

test('a configured key wins over a stored one and is never stored', async () => {
  const settings = memorySettings();
  const generated = await provisionApiKey(undefined, settings);
  const configured = await provisionApiKey('my-own-key', settings);
  assert.equal(configured.generatedKey, undefined);
  assert.equal(configured.verifier.verify('my-own-key'), true);
  assert.equal(configured.verifier.verify(generated.generatedKey!), false);
  assert.equal(settings.values.get(apiKeyHashSetting), hashApiKey(generated.generatedKey!));
});
