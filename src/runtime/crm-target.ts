import type { Config } from '../config/config.ts';
import { emulatorFixtures } from '../emulator/emulator-fixtures.ts';
import { startEmulator } from '../emulator/server.ts';
import type { Logger } from '../logging/logger.ts';

export interface CrmTarget {
  readonly crm: NonNullable<Config['crm']>;
  /** Demo mode: the embedded emulator's base URL. */
  readonly emulatorUrl: string | undefined;
  /** Stops the embedded emulator, if any. */
  stop(): Promise<void>;
}

/**
 * The CRM to sync with: the configured organisation, or in demo mode (no SYNCLINE_DYNAMICS_URL) the Dataverse
 * emulator with the demo data set, started here on SYNCLINE_EMULATOR_PORT (interfaces.md §2).
 */
export async function openCrmTarget(config: Config, logger: Logger): Promise<CrmTarget> {
  if (config.crm !== undefined) return { crm: config.crm, emulatorUrl: undefined, stop: async () => {} };
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: config.emulator.port,
    seed: { seed: 'demo' },
    logger: logger.child({ component: 'emulator' }),
  });
  logger.info({ emulator: emulator.url }, `Demo mode: Dataverse emulator with demo data on ${emulator.url}`);
  return {
    crm: {
      url: emulator.url,
      identities: [{ kind: 'static-token', token: emulatorFixtures.defaultSyncToken }],
    },
    emulatorUrl: emulator.url,
    stop: () => emulator.close(),
  };
}
