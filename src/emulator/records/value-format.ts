import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { Value } from '../state/row.ts';

/**
 * Stored value → JSON text and → formatted value (`@OData.Community.Display.V1.FormattedValue`). Writing
 * JSON text directly (instead of building objects for JSON.stringify) keeps serialisation of large pages
 * cheap and lets money keep Dataverse's four decimals (`20000.0000`).
 */

const dayMs = 86_400_000;
const twoDigits = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** `YYYY-MM-DDT` per day number: reads format millions of dates from a few hundred distinct days. */
const dayPrefixes = new Map<number, string>();

/**
 * ISO UTC without milliseconds (reference §0): `2023-04-07T21:59:01Z`. Built by arithmetic on a cached day
 * prefix instead of `new Date(ms).toISOString()`: a full read formats two dates per row, and the Date objects
 * and intermediate strings were a large share of the read path's CPU and garbage.
 */
export function isoSeconds(ms: number): string {
  const day = Math.floor(ms / dayMs);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * dayMs).toISOString().slice(0, 11);
    if (dayPrefixes.size >= 100_000) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  const seconds = Math.floor((ms - day * dayMs) / 1000);
  return `${prefix}${twoDigits[(seconds / 3600) | 0]}:${twoDigits[((seconds % 3600) / 60) | 0]}:${twoDigits[seconds % 60]}Z`;
}

function isoDate(ms: number): string {
  return isoSeconds(ms).slice(0, 10);
}

/** Stored value → JSON text, for one attribute: the type switch runs once per column, not once per value. */
export function jsonEncoder(attribute: AttributeDefinition): (value: Value) => string {
  switch (attribute.type) {
    case 'DateTime':
      return attribute.format === 'DateOnly'
        ? (value) => (value === null || value === undefined ? 'null' : `"${isoDate(value as number)}"`)
        : (value) => (value === null || value === undefined ? 'null' : `"${isoSeconds(value as number)}"`);
    case 'Money':
      return (value) => (value === null || value === undefined ? 'null' : (value as number).toFixed(4));
    case 'Decimal': {
      const digits = attribute.precision ?? 2;
      return (value) => (value === null || value === undefined ? 'null' : (value as number).toFixed(digits));
    }
    case 'Integer':
    case 'BigInt':
    case 'Picklist':
    case 'State':
    case 'Status':
    case 'Double':
    case 'Boolean':
      return (value) => (value === null || value === undefined ? 'null' : String(value));
    default:
      return (value) => (value === null || value === undefined ? 'null' : JSON.stringify(value));
  }
}

export function jsonValue(attribute: AttributeDefinition, value: Value): string {
  return jsonEncoder(attribute)(value);
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
