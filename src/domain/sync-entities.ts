/**
 * The entities Syncline syncs, their direction (B1.1, B1.2) and the order a pass reads them in (B2.2):
 * owners before the rows that point at them, accounts before contacts, persons before opportunities.
 */
export type Direction = 'two-way' | 'crm-to-marketing';

export interface SyncEntity {
  readonly name: string;
  readonly direction: Direction;
  /** Lower stages are read first in a pass (B2.2). */
  readonly stage: number;
}

export const builtInEntities: readonly SyncEntity[] = [
  { name: 'systemuser', direction: 'crm-to-marketing', stage: 0 },
  { name: 'team', direction: 'crm-to-marketing', stage: 0 },
  { name: 'account', direction: 'crm-to-marketing', stage: 1 },
  { name: 'contact', direction: 'two-way', stage: 2 },
  { name: 'lead', direction: 'two-way', stage: 2 },
  { name: 'opportunity', direction: 'crm-to-marketing', stage: 3 },
];

/** Custom entities are one-way and read last (B1.2, B2.2). */
export function customEntity(name: string): SyncEntity {
  return { name, direction: 'crm-to-marketing', stage: 4 };
}

export const personEntities = ['lead', 'contact'] as const;
export type PersonEntity = (typeof personEntities)[number];

export function isPersonEntity(entity: string): entity is PersonEntity {
  return entity === 'lead' || entity === 'contact';
}

/** The sync filter attribute (B3.7): absent, null or true → syncs; false → does not. */
export const syncFilterAttribute = 'new_synctomkto';

export function passesSyncFilter(row: Readonly<Record<string, unknown>>): boolean {
  return row[syncFilterAttribute] !== false;
}
