import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import { pushPending } from '../push/crm-pusher.ts';
import { collectMarketingChanges, marketingCursorName } from '../push/marketing-feed.ts';
import { PassContext } from './pass-context.ts';
import { buildPlans, initialLoadSetting } from './pass-runner.ts';

/**
 * One immediate push (B2.8): exactly a pass's collect-and-push stage without its pull — the marketing change
 * feed from the pass's cursor into outbox marks (B2.4, B1.4 company fields), then every pending mark pushed
 * with the pass's rules (B4.5 ETags, 412 → re-read and merge, B6.1, B5.6) on the engine's one connector, so its
 * limiter and `Retry-After` pauses are shared with the passes. The caller holds the push gate. Nothing happens
 * before the initial load is done (the first pass pushes then). Returns how many marketing changes it collected.
 */
export async function pushCommittedChanges(
  deps: EngineDeps,
  settings: EngineSettings,
  signal: AbortSignal,
): Promise<number> {
  const { store } = deps;
  if ((await store.getSetting(initialLoadSetting)) === undefined) return 0;
  // The common wake-up is one change: look before building plans, so an empty look costs two queries.
  const cursor = await store.getCursor(marketingCursorName);
  const fresh = (await store.readPersonChanges(cursor, 1)).items.length > 0;
  if (!fresh && (await store.listPendingPushes({ limit: 1 })).items.length === 0) return 0;
  const plans = await buildPlans(deps, settings);
  const context = new PassContext();
  await collectMarketingChanges(deps, context, async () => plans.get('account'), signal);
  await pushPending(deps, { plans, context, settings, signal });
  deps.logger.debug({ counts: context.counts }, 'immediate push');
  return context.counts['marketing.changes'] ?? 0;
}
