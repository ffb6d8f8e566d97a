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
    id: 'sync-as-contact',
    todo: 'issue 13: syncAs contact never converges — the lead\'s "Open"/"New" status labels stay on the person (VALUE_NOT_ACCEPTED on the contact, B3.4/B7.1)',
    matches: (violation) =>
      violation.check === 'fields' &&
      /field (personStatus|statusReason): marketing has "(Open|New)", the CRM \(state|status/.test(
        violation.message,
      ),
  },
  {
    id: 'create-and-qualify',
    todo: 'issue 13: a lead created and qualified between two passes yields two persons (B3.4)',
    matches: (violation) => violation.tag === 'created-and-qualified',
  },
  {
    id: 'pg-lost-marketing-edit',
    todo: 'issue 13: a marketing edit committed while a page applies is silently lost on PostgreSQL (B4.7)',
    matches: (violation, backend) => backend === 'postgres' && violation.tag === 'marketing-edit-lost',
  },
];

export function knownDefectOf(violation: Violation, backend: 'sqlite' | 'postgres'): KnownDefect | undefined {
  return knownDefects.find((defect) => defect.matches(violation, backend));
}
