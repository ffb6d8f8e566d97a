import { Type } from 'typebox';
import { PageCursor, PageLimit, pageOf } from './pagination.ts';
import { PersonValue } from './person.ts';

/** A collision and the value that lost (B4.3): nothing is lost, the loser is kept here. */
export const SyncConflict = Type.Object(
  {
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    personId: Type.String(),
    entity: Type.String(),
    crmId: Type.String(),
    field: Type.String(),
    baseValue: PersonValue,
    marketingValue: PersonValue,
    crmValue: PersonValue,
    winner: Type.Enum(['marketing', 'crm']),
  },
  { title: 'SyncConflict' },
);

/** Newest first. */
export const SyncConflictList = pageOf(SyncConflict);

export const ListSyncConflictsQuery = Type.Object(
  {
    personId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this person’s conflicts.' })),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);
