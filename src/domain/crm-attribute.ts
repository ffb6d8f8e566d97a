import type { PersonFieldType } from './person-fields.ts';
import type { FieldValue } from './merge.ts';
import { err, ok, type Result } from './result.ts';

/**
 * What the engine needs to know of a CRM attribute to map its values (B5.3). The connector builds it from
 * Dataverse metadata (AttributeType / AttributeTypeName, option sets, DateTime format).
 */
export interface CrmAttribute {
  readonly logicalName: string;
  readonly kind: CrmAttributeKind;
  /** DateTime attributes with the DateOnly format map to `YYYY-MM-DD`. */
  readonly dateOnly?: boolean;
  /** Option sets (Picklist, State, Status, MultiSelectPicklist): value ↔ label. */
  readonly options?: readonly { readonly value: number; readonly label: string }[];
  readonly maxLength?: number;
}

export type CrmAttributeKind =
  | 'string'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'datetime'
  | 'option'
  | 'multi-option'
  | 'lookup'
  | 'unsupported';

const kindsByAttributeType: Readonly<Record<string, CrmAttributeKind>> = {
  String: 'string',
  Memo: 'string',
  Integer: 'integer',
  BigInt: 'integer',
  Decimal: 'decimal',
  Double: 'decimal',
  Money: 'decimal',
  Boolean: 'boolean',
  DateTime: 'datetime',
  Picklist: 'option',
  State: 'option',
  Status: 'option',
  Lookup: 'lookup',
  Customer: 'lookup',
  Owner: 'lookup',
};

/** Maps Dataverse's AttributeType (+ AttributeTypeName for multi-select, which is a `Virtual` type) to a kind. */
export function attributeKind(attributeType: string, attributeTypeName?: string): CrmAttributeKind {
  if (attributeTypeName === 'MultiSelectPicklistType') return 'multi-option';
  return kindsByAttributeType[attributeType] ?? 'unsupported';
}

/** The person field type an attribute maps to (B5.3); lookups are links, not fields. */
export function personFieldType(attribute: CrmAttribute): PersonFieldType | undefined {
  switch (attribute.kind) {
    case 'string':
    case 'option':
    case 'multi-option':
      return 'string';
    case 'integer':
      return 'integer';
    case 'decimal':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
      return attribute.dateOnly ? 'date' : 'datetime';
    default:
      return undefined;
  }
}

/** A CRM value (as the Web API returns it) in its person-side form (B5.3). */
export function fromCrmValue(attribute: CrmAttribute, raw: unknown): FieldValue {
  if (raw === null || raw === undefined) return null;
  switch (attribute.kind) {
    case 'string':
      return String(raw);
    case 'integer':
    case 'decimal':
      return typeof raw === 'number' ? raw : Number(raw);
    case 'boolean':
      return Boolean(raw);
    case 'datetime':
      return attribute.dateOnly ? String(raw).slice(0, 10) : String(raw).replace(/\.\d+Z$/, 'Z');
    case 'option':
      return labelOf(attribute, Number(raw)) ?? String(raw);
    case 'multi-option':
      return String(raw)
        .split(',')
        .filter((part) => part !== '')
        .map((part) => labelOf(attribute, Number(part)) ?? part)
        .join(';');
    default:
      return null;
  }
}

export interface ValueMappingError {
  readonly reason: 'unknown-option' | 'wrong-type' | 'too-long' | 'not-writable';
  readonly message: string;
}

/** A person value in the form the Web API accepts, or a record error (B5.3: an unknown label is not a crash). */
export function toCrmValue(attribute: CrmAttribute, value: FieldValue): Result<unknown, ValueMappingError> {
  if (value === null || value === '') return ok(null);
  const wrongType = () =>
    err<ValueMappingError>({
      reason: 'wrong-type',
      message: `Value ${JSON.stringify(value)} cannot be written to ${attribute.logicalName} (${attribute.kind}).`,
    });
  switch (attribute.kind) {
    case 'string': {
      const text = String(value);
      if (attribute.maxLength !== undefined && text.length > attribute.maxLength) {
        return err({
          reason: 'too-long',
          message: `${attribute.logicalName} accepts at most ${attribute.maxLength} characters; the value has ${text.length}.`,
        });
      }
      return ok(text);
    }
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? ok(value) : wrongType();
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? ok(value) : wrongType();
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : wrongType();
    case 'datetime': {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return wrongType();
      return ok(
        attribute.dateOnly ? value.slice(0, 10) : new Date(value).toISOString().replace(/\.\d+Z$/, 'Z'),
      );
    }
    case 'option': {
      const option = valueOf(attribute, String(value));
      return option === undefined ? unknownOption(attribute, String(value)) : ok(option);
    }
    case 'multi-option': {
      const values: number[] = [];
      for (const label of String(value)
        .split(';')
        .map((part) => part.trim())
        .filter((part) => part !== '')) {
        const option = valueOf(attribute, label);
        if (option === undefined) return unknownOption(attribute, label);
        values.push(option);
      }
      return ok(values.join(','));
    }
    default:
      return err({
        reason: 'not-writable',
        message: `${attribute.logicalName} is not a writable value attribute.`,
      });
  }
}

function labelOf(attribute: CrmAttribute, value: number): string | undefined {
  return attribute.options?.find((option) => option.value === value)?.label;
}

function valueOf(attribute: CrmAttribute, label: string): number | undefined {
  const exact = attribute.options?.find((option) => option.label === label);
  if (exact) return exact.value;
  // Labels typed by people differ in case more often than in spelling.
  const lower = label.toLowerCase();
  return attribute.options?.find((option) => option.label.toLowerCase() === lower)?.value;
}

function unknownOption(attribute: CrmAttribute, label: string): Result<never, ValueMappingError> {
  const accepted = (attribute.options ?? []).map((option) => option.label).join(', ');
  return err({
    reason: 'unknown-option',
    message: `"${label}" is not an option of ${attribute.logicalName}. Accepted: ${accepted}.`,
  });
}
