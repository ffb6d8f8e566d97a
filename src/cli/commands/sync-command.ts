import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { SynclineError } from '../../errors/syncline-error.ts';
import { createLogger } from '../../logging/logger.ts';
import { loadCliConfig } from '../cli-config.ts';
import { openRuntime } from '../../runtime/open-runtime.ts';
import type { CliContext } from '../cli.ts';
import type { EntityBacklog } from '../../engine/engine.ts';

/**
 * `syncline sync --once` (interfaces.md §3): one pass with a progress bar per entity, each with the total the CRM
 * counts for it, then exit — for operators and initial loads. Exit code 0 when the pass succeeded, 1 otherwise (the status line says why).
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
        service.engine.onEstimate = (entity, backlog) => bars.expect(entity, backlog);
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

/** How the expected figure of a bar was counted, in words (the status API's `fromCrm.basis`). */
const basisText: Record<NonNullable<EntityBacklog['basis']>, string> = {
  'initial-load': 'CRM record-count snapshot',
  'delta-token': 'changes since the last pass',
  modifiedon: 'rows modified since the last pass',
};

/**
 * One bar per entity on a terminal, its total what the CRM says the pass will read (`onEstimate`: the
 * record-count snapshot during the initial load, the count of changes after it); plain lines when the output is
 * not a TTY (CI, logs). A total the pass outgrows (a stale snapshot, changes made meanwhile) grows with it.
 */
function progressBars(context: CliContext) {
  const tty = (context.stdout as NodeJS.WriteStream).isTTY === true;
  const read = new Map<string, number>();
  const expected = new Map<string, EntityBacklog>();
  const multibar = tty
    ? new MultiBar(
        {
          format: ' {entity} |{bar}| {value}/{total} rows{note}{done}',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  const note = (entity: string) => {
    const estimate = expected.get(entity);
    return estimate?.pending == null || estimate.basis === null
      ? ''
      : ` (${estimate.atLeast ? 'at least ' : ''}${estimate.pending} expected: ${basisText[estimate.basis]})`;
  };
  const barOf = (entity: string) => {
    let bar = bars.get(entity);
    if (bar === undefined && multibar !== undefined) {
      bar = multibar.create(expected.get(entity)?.pending ?? 0, 0, {
        entity: entity.padEnd(16),
        note: note(entity),
        done: '',
      });
      bars.set(entity, bar);
    }
    return bar;
  };
  return {
    expect(entity: string, backlog: EntityBacklog) {
      expected.set(entity, backlog);
      barOf(entity);
    },
    advance(entity: string, rows: number, final: boolean) {
      const total = (read.get(entity) ?? 0) + rows;
      read.set(entity, total);
      const bar = barOf(entity);
      if (bar !== undefined) {
        const estimate = expected.get(entity)?.pending ?? null;
        // Unknown (or outgrown) totals grow with the value, so the bar shows work rather than a wrong ratio.
        bar.setTotal(final ? total : Math.max(estimate ?? 0, total + (estimate === null ? rows : 0)));
        bar.update(total, { entity: entity.padEnd(16), note: note(entity), done: final ? ' ✓' : '' });
      } else if (final) {
        context.stdout.write(`${entity}: ${total} rows${note(entity)}\n`);
      }
    },
    stop() {
      multibar?.stop();
    },
  };
}
