import { unknownProperty } from '../http/dataverse-error.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import { defaultColumns } from '../records/record-serializer.ts';
import { attributeOfProperty } from './record-schema.ts';

/** `$select` → columns (every readable property when absent). Lookups must be named `_x_value`. */
export function selectColumns(
  entity: EntityDefinition,
  select: readonly string[] | undefined,
): AttributeDefinition[] {
  if (select === undefined || select.includes('*')) return defaultColumns(entity);
  const columns: AttributeDefinition[] = [];
  for (const name of select) {
    const attribute = attributeOfProperty(entity, name);
    if (!attribute) throw unknownProperty(name, entity.logicalName);
    if (!columns.includes(attribute)) columns.push(attribute);
    // Selecting a money column also returns the currency lookup (reference §0).
    const currency = entity.byName.get('transactioncurrencyid');
    if (attribute.type === 'Money' && currency && !columns.includes(currency)) columns.push(currency);
  }
  return columns;
}

/**
 * The `@odata.context` fragment for a selection and expansion: `contacts(fullname,emailaddress1)`,
 * `accounts(name,primarycontactid(fullname))` (join-tables) or `contacts`.
 */
export function contextFragment(
  entity: EntityDefinition,
  select: readonly string[] | undefined,
  expanded: readonly string[] = [],
  path: string = entity.entitySetName,
): string {
  const items = [...(select ?? []), ...expanded];
  return items.length === 0 ? path : `${path}(${items.join(',')})`;
}
