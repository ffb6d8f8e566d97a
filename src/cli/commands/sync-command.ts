import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { SynclineError } from '../../errors/syncline-error.ts';
import { createLogger } from '../../logging/logger.ts';
import { loadCliConfig } from '../cli-config.ts';
import { openRuntime } from '../../runtime/open-runtime.ts';
import type { CliContext } from '../cli.ts';

/**
 * `syncline sync --once` (interfaces.md §3): one pass with a progress bar per entity, then exit — for operators
 * and initial loads. Exit code 0 when the pass succeeded, 1 otherwise (the status line says why).
 */
export function registerSyncCommand(program: Command, context: CliContext): void {
  program
    .command('sync')
    .description('Run one sync pass with progress bars and exit (use --once).')
    .option('--once', 'run exactly one pass (required: the continuous loop is `syncline start`)')
    .action(async (options: { once?: boolean }) => {
      if (!options.once) {
        throw new SynclineError(
          'VALIDATION_FAILED',
          'Use `syncline sync --once`; the continuous sync is `syncline start`.',
        );
      }
      const config = loadCliConfig(context);
      // Logs go to stderr at warn level so that they do not tear the progress bars.
      const logger = createLogger({
        level: config.logLevel === 'info' ? 'warn' : config.logLevel,
        format: config.logFormat,
      });
      const runtime = await openRuntime(config, logger, { parts: ['store', 'crm', 'sync'], migrate: true });
      try {
        const service = runtime.sync;
        const bars = progressBars(context);
        service.engine.onProgress = (event) => bars.advance(event.entity, event.rows, event.final);
        const outcome = await service.engine.runOnce('cli');
        bars.stop();
        const written = Object.entries(outcome.counts)
          .map(([key, count]) => `  ${key}: ${count}`)
          .join('\n');
        context.stdout.write(
          `Pass ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}\n${written}\n`,
        );
        if (outcome.status !== 'succeeded') process.exitCode = 1;
      } finally {
        await runtime.close();
      }
    });
}

/** One bar per entity on a terminal; plain lines when the output is not a TTY (CI, logs). */
function progressBars(context: CliContext) {
  const tty = (context.stdout as NodeJS.WriteStream).isTTY === true;
  const totals = new Map<string, number>();
  const multibar = tty
    ? new MultiBar(
        { format: ' {entity} |{bar}| {value} rows{done}', hideCursor: true, clearOnComplete: false },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  return {
    advance(entity: string, rows: number, final: boolean) {
      const total = (totals.get(entity) ?? 0) + rows;
      totals.set(entity, total);
      if (multibar) {
        let bar = bars.get(entity);
        if (bar === undefined) {
          bar = multibar.create(0, 0, { entity: entity.padEnd(16), done: '' });
          bars.set(entity, bar);
        }
        // The total is unknown until the last page: grow it with the value so the bar shows work, not a ratio.
        bar.setTotal(final ? total : total + rows);
        bar.update(total, { entity: entity.padEnd(16), done: final ? ' ✓' : '' });
      } else if (final) {
        context.stdout.write(`${entity}: ${total} rows\n`);
      }
    },
    stop() {
      multibar?.stop();
    },
  };
}
