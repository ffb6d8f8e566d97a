import { unknownProperty } from '../http/dataverse-error.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import { isLookup, isProperty, lookupTypeColumn } from '../records/record-serializer.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row } from '../state/row.ts';
import type { FilterSchema, PropertyAccessor, ValueKind } from './filter-compiler.ts';

export function kindOf(attribute: AttributeDefinition): ValueKind {
  switch (attribute.type) {
    case 'String':
    case 'Memo':
    case 'EntityName':
      return 'string';
    case 'MultiSelectPicklist':
      return 'multi';
    case 'Boolean':
      return 'boolean';
    case 'DateTime':
      return 'date';
    case 'Lookup':
    case 'Customer':
    case 'Owner':
    case 'Uniqueidentifier':
      return 'guid';
    default:
      return 'number';
  }
}

/** The attribute a Web API property name refers to (`_x_value` for lookups), or undefined. */
export function attributeOfProperty(entity: EntityDefinition, name: string): AttributeDefinition | undefined {
  const lookupName = /^_(.+)_value$/.exec(name)?.[1];
  const attribute = entity.byName.get(lookupName ?? name);
  if (!attribute || !isProperty(attribute)) return undefined;
  if (isLookup(attribute) !== (lookupName !== undefined)) return undefined;
  return attribute;
}

/**
 * Property paths of an entity's rows for `$filter`/`$orderby`: attributes, `_x_value` lookups and one hop
 * through a single-valued navigation property (`primarycontactid/fullname`). Columns the caller may not read
 * behave as null.
 */
export function recordSchema(
  state: EmulatorState,
  entity: EntityDefinition,
  hidden: ReadonlySet<number>,
  userId: string,
): FilterSchema<Row> & { attribute(path: string): AttributeDefinition } {
  const direct = (name: string): { attribute: AttributeDefinition; accessor: PropertyAccessor<Row> } => {
    const attribute = attributeOfProperty(entity, name);
    if (!attribute) throw unknownProperty(name, entity.logicalName);
    const index = attribute.index;
    const get = hidden.has(index) ? () => null : (row: Row) => row[index];
    return { attribute, accessor: { kind: kindOf(attribute), get } };
  };
  const resolve = (path: string) => {
    const slash = path.indexOf('/');
    if (slash < 0) return direct(path);
    const navName = path.slice(0, slash);
    const navigation = entity.navigation.get(navName);
    if (!navigation) throw unknownProperty(navName, entity.logicalName);
    const targetTable = state.table(navigation.target);
    const targetAttribute = attributeOfProperty(targetTable.entity, path.slice(slash + 1));
    if (!targetAttribute) throw unknownProperty(path.slice(slash + 1), navigation.target);
    const lookupIndex = navigation.attribute.index;
    const typeIndex = lookupTypeColumn(entity, navigation.attribute);
    const targetIndex = targetAttribute.index;
    const get = (row: Row) => {
      const id = row[lookupIndex];
      if (typeof id !== 'string') return null;
      if (typeIndex !== undefined && row[typeIndex] !== navigation.target) return null;
      return targetTable.get(id)?.[targetIndex] ?? null;
    };
    return { attribute: targetAttribute, accessor: { kind: kindOf(targetAttribute), get } };
  };
  return {
    userId,
    property: (path) => resolve(path).accessor,
    attribute: (path) => resolve(path).attribute,
  };
}
