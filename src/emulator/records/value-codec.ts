import { badPayload, DataverseError, dataverseCodes } from '../http/dataverse-error.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { Value } from '../state/row.ts';

/**
 * JSON body value → stored value, with the platform's validation: types (the OData reader), string length,
 * option-set ranges and numeric ranges (reference §5 messages).
 */
export function decodeValue(entity: EntityDefinition, attribute: AttributeDefinition, input: unknown): Value {
  if (input === null) return null;
  const wrongType = (edm: string) =>
    badPayload(
      entity.entitySetName,
      `Cannot convert the literal '${typeof input === 'string' ? input : JSON.stringify(input)}' to the expected type '${edm}'.`,
    );
  switch (attribute.type) {
    case 'String':
    case 'Memo': {
      if (typeof input !== 'string') throw wrongType('Edm.String');
      if (attribute.maxLength !== undefined && input.length > attribute.maxLength) {
        throw new DataverseError(
          400,
          dataverseCodes.stringTooLong,
          `A validation error occurred.  The length of the '${attribute.logicalName}' attribute of the ` +
            `'${entity.logicalName}' entity exceeded the maximum allowed length of '${attribute.maxLength}'.`,
        );
      }
      return input;
    }
    case 'Integer':
    case 'BigInt': {
      if (typeof input !== 'number' || !Number.isInteger(input)) {
        throw wrongType(attribute.type === 'BigInt' ? 'Edm.Int64' : 'Edm.Int32');
      }
      checkRange(entity, attribute, input);
      return input;
    }
    case 'Decimal':
    case 'Double':
    case 'Money': {
      if (typeof input !== 'number' || !Number.isFinite(input)) {
        throw wrongType(attribute.type === 'Double' ? 'Edm.Double' : 'Edm.Decimal');
      }
      checkRange(entity, attribute, input);
      return input;
    }
    case 'Boolean':
      if (typeof input !== 'boolean') throw wrongType('Edm.Boolean');
      return input;
    case 'DateTime': {
      const ms = typeof input === 'string' ? parseDate(input) : undefined;
      if (ms === undefined)
        throw wrongType(attribute.format === 'DateOnly' ? 'Edm.Date' : 'Edm.DateTimeOffset');
      // Dataverse stores whole seconds; DateOnly columns keep the date.
      return attribute.format === 'DateOnly' ? ms - (ms % 86_400_000) : ms - (ms % 1000);
    }
    case 'Picklist':
    case 'State':
    case 'Status': {
      if (typeof input !== 'number' || !Number.isInteger(input)) throw wrongType('Edm.Int32');
      checkOption(entity, attribute, input);
      return input;
    }
    case 'MultiSelectPicklist': {
      if (typeof input !== 'string') throw wrongType('Edm.String');
      const values = input.split(',').map((v) => v.trim());
      for (const v of values) {
        if (!/^-?\d+$/.test(v)) throw wrongType('Edm.String');
        checkOption(entity, attribute, Number(v));
      }
      return values.join(',');
    }
    case 'Uniqueidentifier': {
      const guid = typeof input === 'string' ? normalizeGuid(input) : undefined;
      if (!guid) throw wrongType('Edm.Guid');
      return guid;
    }
    default:
      throw wrongType('Edm.Guid');
  }
}

function checkOption(entity: EntityDefinition, attribute: AttributeDefinition, value: number): void {
  const allowed = attribute.options ?? [];
  if (allowed.some((o) => o.value === value)) return;
  throw new DataverseError(
    400,
    dataverseCodes.optionOutOfRange,
    `A validation error occurred. The value ${value} of '${attribute.logicalName}' on record of type ` +
      `'${entity.logicalName}' is outside the valid range. Accepted Values: ${allowed.map((o) => o.value).join(',')}`,
  );
}

function checkRange(entity: EntityDefinition, attribute: AttributeDefinition, value: number): void {
  const { minValue, maxValue } = attribute;
  if ((minValue === undefined || value >= minValue) && (maxValue === undefined || value <= maxValue)) return;
  throw new DataverseError(
    400,
    dataverseCodes.optionOutOfRange,
    `A validation error occurred. The value ${value} of '${attribute.logicalName}' on record of type ` +
      `'${entity.logicalName}' is outside the valid range. Accepted Values: ${minValue} to ${maxValue}`,
  );
}

const isoDate = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** ISO date or date-time → epoch ms; a date-time without zone is taken as UTC. */
export function parseDate(text: string): number | undefined {
  if (!isoDate.test(text)) return undefined;
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}
