/**
 * A person of the marketing database (B1.1) as every layer sees it: stored, served by the API, merged by the
 * engine. Pure types: the store port, the engine and the API contracts all derive from these.
 */

/** A person field value as stored and as served by the API. Dates are ISO strings. */
export type PersonValue = string | number | boolean | null;

/** Who made a write. The engine skips its own writes when it reads the change feed (B4.4). */
export type WriteOrigin = 'api' | 'sync' | 'flow' | 'system';

export interface Person {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Every person field (standard, CRM-derived custom, marketing-only) and the system fields. */
  readonly fields: Readonly<Record<string, PersonValue>>;
}
