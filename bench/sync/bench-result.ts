export type Backend = 'sqlite' | 'postgres';

export const scenarioIds = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8', 'S9'] as const;
export type ScenarioId = (typeof scenarioIds)[number];

/** A target as issue 7 states it: the value must be at least / at most the limit. */
export interface Target {
  readonly op: '>=' | '<=' | '=';
  readonly limit: number;
}

/** One line of `bench-results.json`: one metric of one scenario on one backend. */
export interface BenchResult {
  readonly id: ScenarioId;
  readonly backend: Backend;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** `>= 20000`, `<= 1.5`… (issue 7's targets are for scale 1); null when issue 7 sets none. */
  readonly target: string | null;
  readonly met: boolean | null;
  readonly scale: number;
  /** What the number is made of (rows, seconds, bound…). */
  readonly note: string;
}

export function result(
  fields: Omit<BenchResult, 'target' | 'met' | 'value'> & { value: number; target: Target | null },
): BenchResult {
  const { target } = fields;
  const value = round(fields.value);
  if (target === null) return { ...fields, value, target: null, met: null };
  const met =
    target.op === '>='
      ? value >= target.limit
      : target.op === '<='
        ? value <= target.limit
        : value === target.limit;
  return { ...fields, value, target: `${target.op} ${target.limit}`, met };
}

/** Three significant digits at most: benchmark noise is larger than that. */
function round(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(digits));
}
