import { odataError } from '../http/dataverse-error.ts';
import type { ParsedKey } from '../http/odata-path.ts';
import type { Value } from '../state/row.ts';
import type { Table } from '../state/table.ts';

/**
 * The id a key addresses: the GUID itself, or the row holding the alternate-key values. Named keys must
 * match one of the entity's alternate keys exactly (reference §3.3).
 */
export function resolveKey(table: Table, key: ParsedKey): string | undefined {
  if (key.kind === 'id') return key.id;
  const values = alternateKeyValues(table, key);
  const columns = [...values.keys()].map((name) => table.entity.byName.get(name)!.index);
  return table.findByKey(columns, [...values.values()]);
}

/** Validates a named key against the entity's alternate keys; returns logical name → value. */
export function alternateKeyValues(table: Table, key: ParsedKey & { kind: 'named' }): Map<string, Value> {
  const { entity } = table;
  const names = [...key.values.keys()].sort();
  const match = entity.keys.find((k) => [...k.attributes].sort().join(',') === names.join(','));
  if (!match) {
    throw odataError(
      `The key '${[...key.values.keys()].join(',')}' is not an alternate key of '${entity.logicalName}'. ` +
        `Defined keys: ${entity.keys.map((k) => k.attributes.join(',')).join('; ') || 'none'}.`,
    );
  }
  return new Map([...key.values].map(([name, value]) => [name, value]));
}
