import type { FieldPolicy, Side } from './field-policy.ts';

/** A field value in its person-side form (B5.3): strings, numbers, booleans, ISO dates, option labels. */
export type FieldValue = string | number | boolean | null;

export interface FieldMergeInput {
  readonly field: string;
  /** The value both sides agreed on at the last sync (B4.1); `undefined` = never synced (first link, B3.2). */
  readonly base: FieldValue | undefined;
  readonly marketing: FieldValue;
  readonly crm: FieldValue;
  readonly policy: FieldPolicy;
  /** Who wins a collision under `two-way` (the entity rule, B4.3). */
  readonly entityWinner: Side;
}

export interface FieldConflict {
  readonly field: string;
  readonly winner: Side;
  readonly marketingValue: FieldValue;
  readonly crmValue: FieldValue;
  readonly base: FieldValue | undefined;
}

export interface FieldMergeDecision {
  /** Value to write to the CRM, when a write is needed. */
  readonly toCrm?: { value: FieldValue };
  /** Value to write to the person, when a write is needed. */
  readonly toMarketing?: { value: FieldValue };
  /** The new base; `undefined` leaves the stored base unchanged. */
  readonly newBase?: { value: FieldValue };
  readonly conflict?: FieldConflict;
}

/**
 * Canonical form used to decide "changed" (B4.1): empty strings are blank like null (Dataverse stores "" as
 * null), numbers compare by value (20000.0000 = 20000), date-times compare to the second (Dataverse drops
 * milliseconds), other strings compare exactly.
 */
export function normalizeValue(value: FieldValue | undefined): FieldValue | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string') {
    if (value === '') return null;
    if (isoDateTime.test(value)) {
      const time = Date.parse(value);
      if (!Number.isNaN(time))
        return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    }
    return value;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? Number(value.toPrecision(15)) : value;
  return value;
}

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  return normalizeValue(a) === normalizeValue(b);
}

const isBlank = (value: FieldValue | undefined): boolean =>
  normalizeValue(value) === null || value === undefined;

/**
 * The field-level three-way merge (B4.1–B4.3, B4.6; first link B3.2). Pure: the engine applies the decision.
 * A decision never writes a value to the side that already holds it, so a settled field is never written again
 * (B4.4: no echo, no ping-pong).
 */
export function mergeField(input: FieldMergeInput): FieldMergeDecision {
  const { base, marketing, crm, policy } = input;
  if (sameValue(marketing, crm)) {
    // Both sides agree (unchanged, or changed to the same value): only the base may need to catch up (B4.2).
    return sameValue(base, crm) && base !== undefined ? {} : { newBase: { value: crm } };
  }

  const firstLink = base === undefined;
  const marketingChanged = firstLink || !sameValue(marketing, base);
  const crmChanged = firstLink || !sameValue(crm, base);

  if (policy === 'fill-blanks') {
    if (isBlank(crm)) return { toCrm: { value: marketing }, newBase: { value: marketing } };
    if (isBlank(marketing)) return { toMarketing: { value: crm }, newBase: { value: crm } };
    return {}; // both set, differently: fill-blanks never overwrites.
  }

  // First link (B3.2): a field empty on one side takes the other side's value.
  if (firstLink && isBlank(marketing)) return pull(input, crm);
  if (firstLink && isBlank(crm)) return push(input, marketing);

  if (marketingChanged && !crmChanged) return push(input, marketing);
  if (crmChanged && !marketingChanged) return pull(input, crm);

  // Collision: both changed, to different values (B4.3).
  const winner = collisionWinner(input);
  const conflict: FieldConflict = {
    field: input.field,
    winner,
    marketingValue: marketing,
    crmValue: crm,
    base,
  };
  return winner === 'crm'
    ? { toMarketing: { value: crm }, newBase: { value: crm }, conflict }
    : { toCrm: { value: marketing }, newBase: { value: marketing }, conflict };
}

function collisionWinner(input: FieldMergeInput): Side {
  switch (input.policy) {
    case 'crm-wins':
    case 'crm-to-marketing':
      return 'crm';
    case 'marketing-wins':
    case 'marketing-to-crm':
      return 'marketing';
    default:
      return input.entityWinner;
  }
}

/** Marketing → CRM, unless the policy forbids pushing (then the marketing edit stays local, base unchanged). */
function push(input: FieldMergeInput, value: FieldValue): FieldMergeDecision {
  if (input.policy === 'crm-to-marketing') {
    // Never pushed (B1.4, B5.1). On a first link the CRM value is the truth to converge on.
    return input.base === undefined
      ? { toMarketing: { value: input.crm }, newBase: { value: input.crm } }
      : {};
  }
  return { toCrm: { value }, newBase: { value } };
}

/** CRM → marketing, unless the policy forbids pulling. */
function pull(input: FieldMergeInput, value: FieldValue): FieldMergeDecision {
  if (input.policy === 'marketing-to-crm') {
    return input.base === undefined
      ? { toCrm: { value: input.marketing }, newBase: { value: input.marketing } }
      : {};
  }
  return { toMarketing: { value }, newBase: { value } };
}
