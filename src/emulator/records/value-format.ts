import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { Value } from '../state/row.ts';

/**
 * Stored value → JSON text and → formatted value (`@OData.Community.Display.V1.FormattedValue`). Writing
 * JSON text directly (instead of building objects for JSON.stringify) keeps serialisation of large pages
 * cheap and lets money keep Dataverse's four decimals (`20000.0000`).
 */

/** ISO UTC without milliseconds (reference §0): `2023-04-07T21:59:01Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

export function jsonValue(attribute: AttributeDefinition, value: Value): string {
  if (value === null || value === undefined) return 'null';
  switch (attribute.type) {
    case 'DateTime':
      return attribute.format === 'DateOnly'
        ? `"${new Date(value as number).toISOString().slice(0, 10)}"`
        : `"${isoSeconds(value as number)}"`;
    case 'Money':
      return (value as number).toFixed(4);
    case 'Decimal':
      return (value as number).toFixed(attribute.precision ?? 2);
    case 'Integer':
    case 'BigInt':
    case 'Picklist':
    case 'State':
    case 'Status':
    case 'Double':
    case 'Boolean':
      return String(value);
    default:
      return JSON.stringify(value);
  }
}

/** The value a client can parse back (what `JSON.parse(jsonValue(...))` yields). */
export function plainValue(attribute: AttributeDefinition, value: Value): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (attribute.type === 'DateTime') {
    return attribute.format === 'DateOnly'
      ? new Date(value as number).toISOString().slice(0, 10)
      : isoSeconds(value as number);
  }
  return value;
}

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimals = new Map<number, Intl.NumberFormat>();

/** The label Dataverse shows for a value (en-US, UTC), or undefined for types without one. */
export function formattedValue(attribute: AttributeDefinition, value: Value): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (attribute.type) {
    case 'Picklist':
    case 'State':
    case 'Status':
      return attribute.options?.find((o) => o.value === value)?.label;
    case 'MultiSelectPicklist':
      return String(value)
        .split(',')
        .map((v) => attribute.options?.find((o) => o.value === Number(v))?.label ?? v)
        .join('; ');
    case 'Boolean':
      return value ? (attribute.booleanLabels?.true ?? 'Yes') : (attribute.booleanLabels?.false ?? 'No');
    case 'Money':
      return money.format(value as number);
    case 'Integer':
    case 'BigInt':
      return whole.format(value as number);
    case 'Decimal':
    case 'Double': {
      const digits = attribute.precision ?? 2;
      let format = decimals.get(digits);
      if (!format) {
        format = new Intl.NumberFormat('en-US', {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
        decimals.set(digits, format);
      }
      return format.format(value as number);
    }
    case 'DateTime':
      return formatDate(value as number, attribute.format === 'DateOnly');
    default:
      return undefined;
  }
}

/** `4/7/2023 2:59 PM` (the user's format; the emulator's users live in UTC). */
function formatDate(ms: number, dateOnly: boolean): string {
  const d = new Date(ms);
  const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  if (dateOnly) return date;
  const hours = d.getUTCHours();
  const minutes = String(d.getUTCMinutes()).padStart(2, '0');
  return `${date} ${hours % 12 === 0 ? 12 : hours % 12}:${minutes} ${hours < 12 ? 'AM' : 'PM'}`;
}
