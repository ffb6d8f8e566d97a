import { Type, type Static } from 'typebox';
import { pageOf } from './pagination.ts';

/** One pass of the sync (B2.1) with its counts and error (B6.5). */
export const SyncPass = Type.Object(
  {
    id: Type.String(),
    trigger: Type.String({ description: 'schedule, manual, resync, initial-load…' }),
    status: Type.Enum(['running', 'succeeded', 'failed', 'aborted']),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    counts: Type.Record(Type.String(), Type.Number(), {
      description: 'Per entity and direction, e.g. `{"contact.fromCrm.updated": 12}`.',
    }),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'SyncPass' },
);

/** Newest first. */
export const SyncPassList = pageOf(SyncPass);
export type SyncPassList = Static<typeof SyncPassList>;

/** `POST /api/v1/sync/passes` → 202. */
export const PassRequested = Type.Object({ requested: Type.Literal(true) });
