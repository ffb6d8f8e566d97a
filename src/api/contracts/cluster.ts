import { Type } from 'typebox';

/** `GET /api/v1/cluster` (interfaces.md §4, B2.9). */
export const ClusterView = Type.Object(
  {
    replicas: Type.Array(
      Type.Object({
        id: Type.String({ description: 'SYNCLINE_REPLICA_ID, or <hostname>:<pid>' }),
        host: Type.String(),
        pid: Type.Integer(),
        startedAt: Type.String({ format: 'date-time' }),
        lastSeenAt: Type.String({ format: 'date-time', description: 'its last heartbeat (database clock)' }),
        leases: Type.Array(Type.String(), { description: 'the leases it holds now' }),
      }),
    ),
    leases: Type.Array(
      Type.Object({
        name: Type.String({ description: 'sync (passes, pushes, backfills) or campaigns' }),
        holder: Type.Union([Type.String(), Type.Null()], {
          description: 'the holding replica; null when released or expired',
        }),
        epoch: Type.Integer({ description: 'fencing epoch: grows by one on every taking of the lease' }),
        expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
          description: 'when the hold ends unless renewed; null when not held (or on SQLite: the file lock)',
        }),
      }),
    ),
  },
  {
    description:
      'The replicas of a PostgreSQL cluster and the leases of its sync work; on SQLite one replica.',
  },
);
