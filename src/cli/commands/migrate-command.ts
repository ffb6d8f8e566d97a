import type { Command } from 'commander';
import { createLogger } from '../../logging/logger.ts';
import { loadCliConfig } from '../cli-config.ts';
import { openRuntime } from '../../runtime/open-runtime.ts';
import type { CliContext } from '../cli.ts';

/** `syncline migrate` (interfaces.md §3): applies pending database migrations and exits. */
export function registerMigrateCommand(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (SYNCLINE_DB) and exit.')
    .action(async () => {
      const config = loadCliConfig(context);
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      // The store alone: migrating needs no CRM, and must work before one is configured.
      const runtime = await openRuntime(config, logger, { parts: ['store'] });
      try {
        const { applied } = await runtime.store.migrate();
        // Never the PostgreSQL URL: it may carry a password.
        const where = config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'PostgreSQL';
        context.stdout.write(
          applied.length === 0
            ? `${where}: the schema is up to date.\n`
            : `${where}: applied ${applied.length} migration(s): ${applied.join(', ')}.\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
