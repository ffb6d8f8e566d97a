import type { AnnotationFilter } from '../http/prefer-header.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row } from '../state/row.ts';
import { formattedValue, jsonEncoder } from './value-format.ts';

const formatted = 'OData.Community.Display.V1.FormattedValue';
const lookupLogicalName = 'Microsoft.Dynamics.CRM.lookuplogicalname';
const navigationProperty = 'Microsoft.Dynamics.CRM.associatednavigationproperty';

/** The Web API property name of an attribute: lookups are `_<name>_value` (reference §1.4). */
export function propertyName(attribute: AttributeDefinition): string {
  return isLookup(attribute) ? `_${attribute.logicalName}_value` : attribute.logicalName;
}

export function isLookup(attribute: AttributeDefinition): boolean {
  return attribute.type === 'Lookup' || attribute.type === 'Customer' || attribute.type === 'Owner';
}

/**
 * Attributes that are Web API properties (companion EntityName columns are not). Write-only columns
 * (IsValidForRead false, e.g. serviceendpoint.authvalue) are properties too: `$metadata` lists them and writes
 * accept them, but they are never served (FieldSecurity.unreadable hides them from everyone).
 */
export function isProperty(attribute: AttributeDefinition): boolean {
  return attribute.attributeOf === undefined;
}

/** Columns returned when the request has no `$select`: every readable property. */
export function defaultColumns(entity: EntityDefinition): AttributeDefinition[] {
  return entity.attributes.filter((attribute) => isProperty(attribute) && attribute.validForRead);
}

/**
 * Compiles a row → JSON-object-text function for one entity, column list, annotation preference and caller
 * (whose unreadable secured columns come out as null). Built once per request, run once per row.
 */
export function compileRowSerializer(
  state: EmulatorState,
  entity: EntityDefinition,
  columns: readonly AttributeDefinition[],
  annotations: AnnotationFilter,
  hidden: ReadonlySet<number>,
  options: { etag?: boolean } = {},
): (row: Row) => string {
  const pk = entity.byName.get(entity.primaryId)!;
  const version = entity.byName.get('versionnumber')!.index;
  const withFormatted = annotations.includes(formatted);
  const withLookupNames = annotations.includes(lookupLogicalName);
  const withNavigation = annotations.includes(navigationProperty);
  const list = columns.includes(pk) ? columns : [...columns, pk];
  const parts = list.map((attribute) => {
    const name = propertyName(attribute);
    const index = attribute.index;
    if (hidden.has(index)) return () => `,"${name}":null`;
    if (isLookup(attribute)) {
      const typeColumn = lookupTypeColumn(entity, attribute);
      return (row: Row) => {
        const value = row[index];
        if (value === null || value === undefined) return `,"${name}":null`;
        let text = '';
        const target = typeColumn === undefined ? attribute.targets![0] : String(row[typeColumn]);
        if (withFormatted) {
          const label = primaryName(state, target, value as string);
          if (label !== undefined) text += `,"${name}@${formatted}":${JSON.stringify(label)}`;
        }
        if (withNavigation)
          text += `,"${name}@${navigationProperty}":"${attribute.navigation?.[target] ?? attribute.logicalName}"`;
        if (withLookupNames) text += `,"${name}@${lookupLogicalName}":"${target}"`;
        return `${text},"${name}":"${value as string}"`;
      };
    }
    const encode = jsonEncoder(attribute);
    const prefix = `,"${name}":`;
    if (withFormatted && hasFormattedValue(attribute)) {
      return (row: Row) => {
        const value = row[index];
        const label = formattedValue(attribute, value);
        const annotation = label === undefined ? '' : `,"${name}@${formatted}":${JSON.stringify(label)}`;
        return annotation + prefix + encode(value);
      };
    }
    return (row: Row) => prefix + encode(row[index]);
  });
  // Records expanded through a navigation property come without an ETag in some shapes (join-tables).
  if (options.etag === false) {
    return (row: Row) => {
      let text = '';
      for (const part of parts) text += part(row);
      return `{${text.slice(1)}}`;
    };
  }
  return (row: Row) => {
    let text = `{"@odata.etag":"W/\\"${row[version] as number}\\""`;
    for (const part of parts) text += part(row);
    return text + '}';
  };
}

function hasFormattedValue(attribute: AttributeDefinition): boolean {
  return (
    attribute.type !== 'String' &&
    attribute.type !== 'Memo' &&
    attribute.type !== 'Uniqueidentifier' &&
    attribute.type !== 'EntityName'
  );
}

/** Storage position of a polymorphic lookup's target-table column, undefined for single-target lookups. */
export function lookupTypeColumn(
  entity: EntityDefinition,
  attribute: AttributeDefinition,
): number | undefined {
  if ((attribute.targets?.length ?? 0) <= 1) return undefined;
  const name =
    attribute.typeColumn ?? (attribute.type === 'Owner' ? 'owneridtype' : `${attribute.logicalName}type`);
  return entity.byName.get(name)?.index;
}

/** The primary name of a row (lookup formatted values), undefined when the row does not exist. */
export function primaryName(state: EmulatorState, entityName: string, id: string): string | undefined {
  const table = state.tables.get(entityName);
  const row = table?.get(id);
  if (!table || !row) return undefined;
  const value = row[table.entity.byName.get(table.entity.primaryName)!.index];
  return value === null || value === undefined ? undefined : String(value);
}
