import { z } from 'zod';
import { amount, rate, seed, unknownKeys } from '../limits/limits-settings.ts';

/**
 * Body of `PUT /_emulator/webhooks` (and `EmulatorOptions.webhooks`): faults and freedoms of webhook
 * delivery, all off by default. A PUT replaces the whole configuration.
 *
 * - `dropRate`: share of deliveries silently lost (never POSTed, no system job) — a fault Microsoft does not
 *   describe, for showing that a lost webhook is repaired by the next pass. 1 drops every one.
 * - `order`: asynchronous steps' deliveries are "not guaranteed to be performed in the order set by the
 *   CreatedOn date" (Asynchronous service). `reverse` or `shuffle` holds them for `holdMs` after the first one
 *   and then sends them one after another in that order (`commit`, the default, sends at once). Changes
 *   committed together (a `$batch` changeset) are always held together, whatever the timing.
 * - `seed`: the generator behind `dropRate` and `shuffle`, so a run can be replayed.
 */
export const webhookSettingsSchema = z.strictObject(
  {
    seed: seed(),
    dropRate: rate('dropRate'),
    order: z
      .enum(['commit', 'reverse', 'shuffle'], { error: 'order must be commit, reverse or shuffle' })
      .nullish()
      .transform((value) => value ?? 'commit'),
    holdMs: amount('holdMs')
      .nullish()
      .transform((value) => value ?? 1000),
  },
  unknownKeys,
);

export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

export const webhookSettingsOff: WebhookSettings = webhookSettingsSchema.parse({});
