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

// Every defect issue 13 listed has its fix on main; a new known defect goes here with its issue and rule.
export const knownDefects: readonly KnownDefect[] = [];

export function knownDefectOf(violation: Violation, backend: 'sqlite' | 'postgres'): KnownDefect | undefined {
  return knownDefects.find((defect) => defect.matches(violation, backend));
}
