import { SeededRandom } from './random.ts';

/**
 * The schedule of one seed: what the harness does, in which order, decided up front from the seed alone.
 * Targets are abstract (`slot` numbers, "a lead of the lifecycle pool"); the runner resolves them in order
 * from its own bookkeeping, which depends on the schedule only, never on the product's timing.
 */

/** How the two sides write one field of one person (a *slot*); the oracle knows what each must end in. */
export type EpisodeKind =
  /** Marketing edits only (one or two). */
  | 'marketing'
  /** CRM edits only (one or two). */
  | 'crm'
  /** A marketing edit, then — once the CRM shows it (Syncline's push landed) — a CRM edit: the CRM must win. */
  | 'marketing-then-crm'
  /** A CRM edit, then — once the person shows it — a marketing edit: marketing must win. */
  | 'crm-then-marketing'
  /** A marketing edit and a CRM edit right after it, between two passes: a collision (B4.3). */
  | 'collide-marketing-first'
  /** A CRM edit and a marketing edit right after it. */
  | 'collide-crm-first';

export type Step =
  | { readonly kind: 'episode'; readonly episode: EpisodeKind; readonly edits: 1 | 2 }
  | { readonly kind: 'crm-create'; readonly entity: 'lead' | 'contact'; readonly qualifyAtOnce: boolean }
  | { readonly kind: 'marketing-create'; readonly syncAtOnce: 'lead' | 'contact' | undefined }
  | { readonly kind: 'flow-sync'; readonly syncAs: 'lead' | 'contact'; readonly twice: boolean }
  | { readonly kind: 'qualify' }
  | { readonly kind: 'merge' }
  | { readonly kind: 'crm-delete'; readonly entity: 'lead' | 'contact' }
  | {
      readonly kind: 'faults';
      readonly seed: number;
      readonly http5xxRate: number;
      readonly dropAfterCommitRate: number;
      readonly latencyMs: number;
      readonly latencyJitterMs: number;
    }
  | { readonly kind: 'faults-off' }
  | { readonly kind: 'limits'; readonly requestsPerWindow: number; readonly windowSeconds: number }
  | { readonly kind: 'limits-off' }
  | { readonly kind: 'expire-delta-tokens'; readonly entity: 'lead' | 'contact' | undefined }
  | { readonly kind: 'kill'; readonly pauseMs: number }
  | { readonly kind: 'second-engine'; readonly command: 'start' | 'sync --once' }
  | { readonly kind: 'pause'; readonly ms: number };

const stepWeights = {
  episode: 10,
  'crm-create': 2,
  'marketing-create': 2,
  'flow-sync': 2,
  qualify: 1,
  merge: 1,
  'crm-delete': 1,
  faults: 2,
  'faults-off': 1,
  limits: 1,
  'limits-off': 1,
  'expire-delta-tokens': 1,
  kill: 1,
  'second-engine': 0.5,
  pause: 1,
} as const satisfies Record<Step['kind'], number>;

const episodeWeights = {
  marketing: 2,
  crm: 2,
  'marketing-then-crm': 2,
  'crm-then-marketing': 2,
  'collide-marketing-first': 3,
  'collide-crm-first': 2,
} as const satisfies Record<EpisodeKind, number>;

function drawStep(random: SeededRandom, kind: Step['kind']): Step {
  switch (kind) {
    case 'episode':
      return { kind, episode: random.weighted(episodeWeights), edits: random.chance(0.3) ? 2 : 1 };
    case 'crm-create':
      return {
        kind,
        entity: random.chance(0.5) ? 'lead' : 'contact',
        qualifyAtOnce: random.chance(0.5),
      };
    case 'marketing-create':
      return { kind, syncAtOnce: random.chance(0.4) ? (random.chance(0.5) ? 'lead' : 'contact') : undefined };
    case 'flow-sync':
      return { kind, syncAs: random.chance(0.5) ? 'lead' : 'contact', twice: random.chance(0.4) };
    case 'crm-delete':
      return { kind, entity: random.chance(0.5) ? 'lead' : 'contact' };
    case 'faults':
      return {
        kind,
        seed: random.int(1, 1_000_000),
        http5xxRate: round(random.float() * 0.2),
        dropAfterCommitRate: round(random.float() * 0.3),
        latencyMs: random.int(0, 30),
        latencyJitterMs: random.int(0, 40),
      };
    case 'limits':
      return { kind, requestsPerWindow: random.int(15, 60), windowSeconds: random.int(1, 3) };
    case 'expire-delta-tokens':
      return { kind, entity: random.pick(['lead', 'contact', undefined] as const) };
    case 'kill':
      return { kind, pauseMs: random.int(0, 1500) };
    case 'second-engine':
      return { kind, command: random.chance(0.5) ? 'start' : 'sync --once' };
    case 'pause':
      return { kind, ms: random.int(100, 1200) };
    default:
      return { kind };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * `steps` steps drawn from the seed, plus one kill and one second-engine attempt at positions drawn from the
 * seed, so every seed exercises both whatever the draw.
 */
export function scheduleFor(seed: number, steps: number): Step[] {
  const random = new SeededRandom(seed);
  const schedule: Step[] = [];
  for (let index = 0; index < steps; index += 1)
    schedule.push(drawStep(random, random.weighted(stepWeights)));
  schedule.splice(random.int(1, schedule.length), 0, drawStep(random, 'kill'));
  schedule.splice(random.int(1, schedule.length), 0, drawStep(random, 'second-engine'));
  return schedule;
}

/** One line per step, for `--print-schedule` and violation reports. */
export function describeStep(step: Step): string {
  const { kind, ...rest } = step;
  const details = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return details === '' ? kind : `${kind} ${details}`;
}
