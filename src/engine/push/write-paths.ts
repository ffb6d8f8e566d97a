import { chooseWritePaths, describeWritePath } from '../../connectors/write-path-choice.ts';
import type { EngineDeps } from '../engine-deps.ts';

/**
 * B4.5 at the engine's first connect: UpdateMultiple with per-target ETags only where the connected
 * organisation proved it refuses a stale one, else `$batch` with `If-Match` (the connector's default). The
 * answer is remembered per organisation in the store's settings, so a restart does not probe again. Never
 * throws: a probe that cannot tell leaves the documented path in place.
 */
export async function chooseEngineWritePaths(
  deps: Pick<EngineDeps, 'crm' | 'store' | 'logger'>,
): Promise<void> {
  try {
    const choices = await chooseWritePaths(deps.crm, {
      get: (key) => deps.store.getSetting(key),
      set: (key, value) => deps.store.setSetting(key, value),
    });
    for (const choice of choices) {
      deps.logger.info({ entity: choice.entity, writePath: choice.path }, describeWritePath(choice));
    }
  } catch (error) {
    deps.logger.warn(
      { err: error },
      'could not choose the CRM write paths; updates use $batch with If-Match',
    );
  }
}
