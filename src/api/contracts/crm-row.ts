import { Type, type Static } from 'typebox';
import { pageOf } from './pagination.ts';

/** A read-only mirror row of a one-way CRM entity (B1.2); deleted rows stay as tombstones (B3.6). */
export const CrmRow = Type.Object(
  {
    entity: Type.String({ description: 'Logical name, e.g. account.' }),
    id: Type.String({ description: 'The CRM record id (GUID).' }),
    attributes: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The selected attributes by logical name.',
    }),
    deleted: Type.Boolean(),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'CrmRow' },
);
export type CrmRow = Static<typeof CrmRow>;

export const CrmRowList = pageOf(CrmRow);
export type CrmRowList = Static<typeof CrmRowList>;

export const CrmEntityParams = Type.Object({
  entity: Type.String({ minLength: 1, maxLength: 128, description: 'Logical name of the entity.' }),
});
export const CrmRowParams = Type.Object({
  entity: Type.String({ minLength: 1, maxLength: 128, description: 'Logical name of the entity.' }),
  id: Type.String({ format: 'uuid', description: 'The CRM record id.' }),
});
export type CrmRowParams = Static<typeof CrmRowParams>;
