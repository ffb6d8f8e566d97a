import { z } from 'zod';

/**
 * Bodies of `PUT /_emulator/limits` and `PUT /_emulator/faults` (interfaces.md §7). Every setting is off by
 * default; `0`, `null` or absent turns it off. A PUT replaces the whole configuration.
 */

export const count = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must not be negative`)
    .nullish()
    .transform((value) => value ?? 0);

export const amount = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must not be negative`)
    .max(3_600_000, `${name} must be at most 3600000`)
    .nullish()
    .transform((value) => value ?? 0);

export const rate = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, `${name} must be between 0 and 1`)
    .max(1, `${name} must be between 0 and 1`)
    .nullish()
    .transform((value) => value ?? 0);

/** The seed of a fault plan's generator: the same seed and request order replay the same faults. */
export const seed = () =>
  z
    .number({ error: 'seed must be a number' })
    .int('seed must be a whole number')
    .nullish()
    .transform((value) => value ?? 0);

/** Names unknown keys, so a typo is reported instead of silently ignored. */
export const unknownKeys = {
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' ? `unknown setting ${(issue.keys ?? []).join(', ')}` : undefined,
};

export const limitsSettingsSchema = z.strictObject(
  {
    requestsPerWindow: count('requestsPerWindow'),
    executionMsPerWindow: count('executionMsPerWindow'),
    windowSeconds: count('windowSeconds'),
    maxConcurrent: count('maxConcurrent'),
    msPerRequest: amount('msPerRequest'),
    msPerRecordRead: amount('msPerRecordRead'),
    msPerRecordWrite: amount('msPerRecordWrite'),
  },
  unknownKeys,
);

export const faultSettingsSchema = z.strictObject(
  {
    seed: seed(),
    http5xxRate: rate('http5xxRate'),
    dropAfterCommitRate: rate('dropAfterCommitRate'),
    latencyMs: amount('latencyMs'),
    latencyJitterMs: amount('latencyJitterMs'),
  },
  unknownKeys,
);

export type LimitsSettings = z.output<typeof limitsSettingsSchema>;
export type FaultSettings = z.output<typeof faultSettingsSchema>;

export const limitsOff: LimitsSettings = limitsSettingsSchema.parse({});
export const faultsOff: FaultSettings = faultSettingsSchema.parse({});

/** Dataverse's window when a limit is set but `windowSeconds` is not (reference §6). */
export const defaultWindowSeconds = 300;

/** Parses a control-API body; returns readable problems instead of throwing. */
export function parseSettings<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; problems: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: ['the body must be a JSON object'] };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => issue.message) };
}
