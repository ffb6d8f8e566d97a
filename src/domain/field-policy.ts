/**
 * How one synced field moves between the marketing database and the CRM (B4.3, B4.6).
 *
 * - `two-way`: each side's change goes to the other; a collision goes to the entity's winner (B4.3).
 * - `crm-wins` / `marketing-wins`: two-way, but a collision always goes to that side.
 * - `crm-to-marketing`: CRM changes are pulled, marketing edits are never pushed (read-only attributes B5.1,
 *   company fields B1.4, one-way entities B1.2). A marketing edit stays local until the CRM value changes.
 * - `marketing-to-crm`: marketing changes are pushed, CRM edits are never pulled.
 * - `fill-blanks`: a value only ever fills the other side's blank; set values are never overwritten.
 */
export const fieldPolicies = [
  'two-way',
  'crm-wins',
  'marketing-wins',
  'crm-to-marketing',
  'marketing-to-crm',
  'fill-blanks',
] as const;

export type FieldPolicy = (typeof fieldPolicies)[number];

export type Side = 'marketing' | 'crm';

/** The collision winner of the entity rule (B4.3): marketing for leads, the CRM for contacts and one-way rows. */
export function entityCollisionWinner(entity: string): Side {
  return entity === 'lead' ? 'marketing' : 'crm';
}

export function isFieldPolicy(value: unknown): value is FieldPolicy {
  return typeof value === 'string' && (fieldPolicies as readonly string[]).includes(value);
}
