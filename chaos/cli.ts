import { parseArgs } from 'node:util';
import { defaultArtifactsRoot } from './artifacts.ts';
import type { Backend } from './database.ts';
import type { Takeover } from './history.ts';
import { knownDefectOf } from './known-defects.ts';
import { runSeed, SeedFailure, type SeedOptions, type SeedResult } from './run-seed.ts';
import { describeStep, scheduleFor } from './schedule.ts';

export interface ChaosOptions {
  readonly seeds: number;
  readonly seedStart: number;
  readonly backend: Backend;
  readonly replicas: number;
  readonly steps: number;
  readonly intervalSeconds: number;
  readonly verbose: boolean;
  readonly printSchedule: boolean;
  readonly webhooks: boolean;
  readonly leaseSeconds: number;
  readonly artifacts: string;
}

const usage = `usage: npm run chaos -- [--seeds N] [--seed-start K] [--backend sqlite|postgres] [--replicas R]
                       [--steps S] [--interval SECONDS] [--lease-seconds S] [--artifacts DIR]
                       [--no-webhooks] [--verbose] [--print-schedule]`;

/** SYNCLINE_LEASE_SECONDS of the chaos runs: the product's minimum, so a killed holder's lease expires soon. */
export const chaosLeaseSeconds = 3;

export function parseOptions(argv: readonly string[]): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seeds: { type: 'string', default: '3' },
      'seed-start': { type: 'string', default: '1' },
      backend: { type: 'string', default: 'sqlite' },
      replicas: { type: 'string', default: '1' },
      steps: { type: 'string', default: '24' },
      interval: { type: 'string', default: '1' },
      'lease-seconds': { type: 'string', default: String(chaosLeaseSeconds) },
      artifacts: { type: 'string', default: defaultArtifactsRoot },
      verbose: { type: 'boolean', default: false },
      'no-webhooks': { type: 'boolean', default: false },
      'print-schedule': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(usage);
  const whole = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be a whole number ≥ ${min}\n${usage}`);
    return value;
  };
  const backend = values.backend;
  if (backend !== 'sqlite' && backend !== 'postgres')
    throw new Error(`--backend must be sqlite or postgres\n${usage}`);
  const replicas = whole('replicas', values.replicas, 1);
  if (backend === 'sqlite' && replicas !== 1)
    throw new Error('--replicas above 1 needs --backend postgres (one engine per SQLite database, B2.9)');
  return {
    seeds: whole('seeds', values.seeds, 1),
    seedStart: whole('seed-start', values['seed-start'], 0),
    backend,
    replicas,
    steps: whole('steps', values.steps, 1),
    intervalSeconds: whole('interval', values.interval, 1),
    verbose: values.verbose,
    printSchedule: values['print-schedule'],
    webhooks: !values['no-webhooks'],
    leaseSeconds: whole('lease-seconds', values['lease-seconds'], 3),
    artifacts: values.artifacts,
  };
}

/** The small data set of every seed (`--seed demo` with small counts). */
export const chaosCounts = { contacts: 8, leads: 6, accounts: 2 } as const;

export function seedOptions(options: ChaosOptions, seed: number, log?: (line: string) => void): SeedOptions {
  return {
    seed,
    backend: options.backend,
    steps: options.steps,
    replicas: options.replicas,
    intervalSeconds: options.intervalSeconds,
    counts: chaosCounts,
    webhooks: options.webhooks,
    leaseSeconds: options.leaseSeconds,
    artifactsRoot: options.artifacts,
    log,
  };
}

/** The time from a holder's SIGKILL until another replica held the `sync` lease, in ms. */
const takeoverMs = (takeover: Takeover) => takeover.seenAt - takeover.killedAt;

/** `takeovers=N p50=…s max=…s` (nearest-rank median). */
export function takeoverSummary(takeovers: readonly Takeover[]): string {
  const times = takeovers.map(takeoverMs).sort((a, b) => a - b);
  if (times.length === 0) return 'takeovers=0';
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return `takeovers=${times.length} p50=${seconds(times[Math.ceil(times.length / 2) - 1])} max=${seconds(times.at(-1)!)}`;
}

/** The per-seed line: seed, backend, faults per kind, kills, second-engine attempts, violations. */
export function seedLine(result: SeedResult): string {
  const faults =
    result.faultsInjected === undefined
      ? 'faults n/a (stats lack them)'
      : `faults ${Object.entries(result.faultsInjected)
          // Counts only (the stats' list of dropped answers is for the oracle).
          .filter(([, count]) => typeof count === 'number')
          .map(([kind, count]) => `${kind}=${count}`)
          .join(' ')}`;
  const c = result.counts;
  return [
    `seed ${result.seed}`,
    result.backend,
    faults,
    `throttled=${result.throttled ?? 'n/a'}`,
    `webhooks ${Object.entries(result.webhookStats ?? {})
      .map(([kind, count]) => `${kind}=${count}`)
      .join(' ')}`,
    `admin saw 5xx=${result.adminFaults.http5xx} dropped=${result.adminFaults.dropped} 429=${result.adminFaults.throttled}`,
    `fault-settings=${c.faultSettings} limit-windows=${c.limitSettings} token-expiries=${c.tokenExpiries}`,
    result.takeovers.length > 0 || c.holderKills > 0
      ? `kills=${c.kills} (holder ${c.holderKills}) ${takeoverSummary(result.takeovers)}`
      : `kills=${c.kills}`,
    `second-engine=${c.secondEngineAttempts} (refused ${c.secondEngineRefused}, ran ${c.secondEngineRan})`,
    `writes m=${c.marketingWrites} c=${c.crmWrites}`,
    `violations=${result.violations.length}`,
    `${(result.durationMs / 1000).toFixed(1)} s`,
    ...(result.artifactsDir === undefined ? [] : [`artifacts ${result.artifactsDir}`]),
  ].join(' | ');
}

/** Runs the seeds one after the other; resolves with the exit code (1 on any violation or failure). */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const seeds = Array.from({ length: options.seeds }, (_, index) => options.seedStart + index);
  if (options.printSchedule) {
    for (const seed of seeds) {
      console.log(`seed ${seed}:`);
      for (const step of scheduleFor(seed, options.steps)) console.log(`  ${describeStep(step)}`);
    }
    return 0;
  }
  const results: SeedResult[] = [];
  let failures = 0;
  for (const seed of seeds) {
    try {
      const result = await runSeed(
        seedOptions(options, seed, options.verbose ? (line) => console.log(line) : undefined),
      );
      results.push(result);
      console.log(seedLine(result));
      for (const violation of result.violations) {
        const known = knownDefectOf(violation, result.backend);
        console.log(
          `  ✘ [${violation.check}]${known ? ` (known defect: ${known.id})` : ''} ${violation.message}`,
        );
      }
      if (options.verbose) for (const note of result.notes) console.log(`  · ${note}`);
    } catch (error) {
      failures += 1;
      // A SeedFailure's message carries the cause's stack and where its artifacts are.
      console.log(
        `seed ${seed} | ${options.backend} | the harness could not run it: ${error instanceof SeedFailure ? error.message : ((error as Error).stack ?? String(error))}`,
      );
    }
  }
  const violations = results.reduce((sum, result) => sum + result.violations.length, 0);
  const known = results.reduce(
    (sum, result) => sum + result.violations.filter((v) => knownDefectOf(v, result.backend)).length,
    0,
  );
  const byCheck = new Map<string, number>();
  for (const result of results)
    for (const violation of result.violations)
      byCheck.set(violation.check, (byCheck.get(violation.check) ?? 0) + 1);
  console.log(
    `\nchaos summary: ${results.length} seed(s) on ${options.backend}, ` +
      `${results.filter((r) => r.violations.length > 0).length} with violations, ${violations} violation(s)` +
      ` (${known} of them known defects of issue 13)` +
      (byCheck.size > 0 ? ` (${[...byCheck].map(([check, count]) => `${check} ${count}`).join(', ')})` : '') +
      (failures > 0 ? `, ${failures} seed(s) the harness could not run` : '') +
      (options.replicas > 1
        ? `; ${options.replicas} replicas, lease ${options.leaseSeconds} s, ` +
          `${results.reduce((sum, r) => sum + r.counts.holderKills, 0)} holder kill(s), ` +
          takeoverSummary(results.flatMap((result) => result.takeovers))
        : ''),
  );
  return violations > 0 || failures > 0 ? 1 : 0;
}
