import { Type, type Static } from 'typebox';
import { PageCursor, PageLimit, pageOf } from './pagination.ts';

/** A record-level sync failure, recorded once per distinct error (B6.1). */
export const SyncError = Type.Object(
  {
    id: Type.String(),
    entity: Type.String(),
    crmId: Type.Union([Type.String(), Type.Null()]),
    personId: Type.Union([Type.String(), Type.Null()]),
    direction: Type.Enum(['toCrm', 'fromCrm']),
    operation: Type.String({ description: 'create, update, delete, read, qualify, assign…' }),
    code: Type.String({ description: 'The CRM’s error code (e.g. 0x80040265) or a Syncline code.' }),
    message: Type.String(),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' }),
    count: Type.Integer({ minimum: 1 }),
    status: Type.Enum(['open', 'retry', 'resolved']),
  },
  { title: 'SyncError' },
);

/** Newest `lastSeen` first. */
export const SyncErrorList = pageOf(SyncError);

/** The CSV export's columns, in order (interfaces.md §4). */
export const syncErrorCsvColumns = [
  'id',
  'entity',
  'crmId',
  'personId',
  'direction',
  'operation',
  'code',
  'message',
  'firstSeen',
  'lastSeen',
  'count',
  'status',
] as const satisfies readonly (keyof Static<typeof SyncError>)[];

export const ListSyncErrorsQuery = Type.Object(
  {
    entity: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Logical name.' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description: 'Matches code, message or CRM id (any case).',
      }),
    ),
    format: Type.Optional(
      Type.Enum(['json', 'csv'], {
        description:
          '`csv` (or `Accept: text/csv`) exports every matching error, from `cursor` on, as CSV (`limit` does not apply).',
      }),
    ),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);
export type ListSyncErrorsQuery = Static<typeof ListSyncErrorsQuery>;

export const SyncErrorIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The sync error id.' }),
});
