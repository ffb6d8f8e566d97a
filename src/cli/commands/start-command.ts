import type { Command } from 'commander';
import { startApp } from '../../app.ts';
import { createLogger } from '../../logging/logger.ts';
import { loadCliConfig } from '../cli-config.ts';
import type { CliContext } from '../cli.ts';

/** `syncline start` (interfaces.md §3): migrations, the sync loop, the API (and the emulator in demo mode), until SIGINT/SIGTERM. */
export function registerStartCommand(program: Command, context: CliContext): void {
  program
    .command('start')
    .description(
      'Run migrations, the sync and the API (with the emulator in demo mode) until stopped; SIGINT/SIGTERM stop it at a safe boundary.',
    )
    .action(async () => {
      // Listening from the first moment: an orchestrator may stop a replica as soon as it answers GET /ready,
      // which it does before the start has finished. Without a listener then, SIGTERM's default action would
      // kill it mid-start; with one, it finishes starting and stops at once, at a safe boundary.
      const shutdown = nextShutdownSignal();
      const config = loadCliConfig(context);
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      const app = await startApp(config, logger, {
        // Written to the terminal, not the logger: logs are shipped and kept, and the key is a secret.
        onGeneratedApiKey: (key) =>
          context.stdout.write(
            `\nGenerated an API key. It is stored hashed and shown only this once:\n\n  ${key}\n\n` +
              `Send it as "Authorization: Bearer <key>", or set SYNCLINE_API_KEY to choose your own.\n\n`,
          ),
      });
      logger.info(
        {
          url: app.url,
          docs: `${app.url}/docs`,
          database: config.database.kind,
          demo: config.demo,
          ...(app.emulatorUrl === undefined ? {} : { emulator: app.emulatorUrl }),
        },
        `Syncline API listening on ${app.url}` +
          (app.emulatorUrl === undefined ? '' : ` (demo mode: Dataverse emulator on ${app.emulatorUrl})`),
      );
      const signal = await shutdown;
      logger.info({ signal }, 'stopping');
      await app.stop();
      logger.info('stopped');
    });
}

/** Resolves on the first SIGINT/SIGTERM; a second one while stopping ends the process at once. */
function nextShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
