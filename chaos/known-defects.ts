import type { Violation } from './checks.ts';

/**
 * The product defects issue 13 lists, recognised in the harness's violations, so the test suite can keep them
 * as `todo` tests (named after the defect) while every other violation fails it. Each matcher is kept narrow:
 * a violation it does not claim is a new finding. Remove an entry's `todo` when its fix lands.
 */
export interface KnownDefect {
  readonly id: string;
  /** The `todo` text of its test. */
  readonly todo: string;
  matches(violation: Violation, backend: 'sqlite' | 'postgres'): boolean;
}

export const knownDefects: readonly KnownDefect[] = [
  {
    id: 'stale-base-after-lost-push',
    todo: 'issue 13: a push whose answer is lost (drop-after-commit) leaves a stale base — a later CRM edit is judged a collision, overwritten and logged twice (B4.1, B4.3)',
    matches: (violation) =>
      violation.tag === 'crm-edit-after-push-overwritten' || violation.tag === 'conflict-logged-twice',
  },
];

export function knownDefectOf(violation: Violation, backend: 'sqlite' | 'postgres'): KnownDefect | undefined {
  return knownDefects.find((defect) => defect.matches(violation, backend));
}
