import { Type, type Static } from 'typebox';

const Instant = Type.String({ format: 'date-time' });
const NullableInstant = Type.Union([Instant, Type.Null()]);
const NullableCount = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

/** Backlog and throughput of one entity (B6.5). */
export const SyncEntityStatus = Type.Object(
  {
    toCrm: Type.Object({ pending: Type.Integer({ minimum: 0 }), oldestPendingAt: NullableInstant }),
    fromCrm: Type.Object(
      {
        pending: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
          description:
            'What the next pass would read from the CRM, counted by the CRM (see `basis`); null when not ' +
            'counted: the entity was never read, or the CRM did not answer.',
        }),
        atLeast: Type.Boolean({
          description:
            'The CRM stopped counting at `pending` (a `$count` caps at 5,000): at least that many.',
        }),
        basis: Type.Union([Type.Enum(['delta-token', 'modifiedon', 'initial-load']), Type.Null()], {
          description:
            '`delta-token`: changes (creates, updates, deletes) since the stored change-tracking token ' +
            '(`<set>/$count?$deltatoken=…`); `modifiedon`: rows modified after the newest one applied (tables ' +
            'without change tracking; deletes not seen); `initial-load`: the snapshot total less the rows ' +
            'the initial load applied.',
        }),
        countedAt: Type.Union([Instant, Type.Null()], {
          description: 'When it was counted: at most 15 s before the status, and after the last pass.',
        }),
      },
      { description: 'B6.5: the backlog on the CRM side.' },
    ),
    syncedLastHour: Type.Integer({ minimum: 0 }),
    syncedLast24h: Type.Integer({ minimum: 0 }),
    growing: Type.Boolean({ description: 'Pending work grew between the last two samples.' }),
    etaSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description:
        'Seconds until the push backlog (`toCrm.pending`) drains at the last hour’s push rate; null when ' +
        'nothing is pending or nothing was pushed in the last hour.',
    }),
    writePath: Type.Optional(
      Type.Enum(['bulk', 'batch'], {
        description:
          'Lead and contact: how updates reach the CRM (B4.5). `batch`: `$batch` with per-request If-Match (the ' +
          'default); `bulk`: UpdateMultiple, used only after a probe proved this organisation refuses stale ETags.',
      }),
    ),
  },
  { title: 'SyncEntityStatus' },
);

const LatencyMs = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);

/** Latency of one direction over the last hour (B2.8); the percentiles are null when nothing was carried. */
export const SyncLatency = Type.Object(
  {
    p50Ms: LatencyMs,
    p95Ms: LatencyMs,
    p99Ms: LatencyMs,
    count: Type.Integer({ minimum: 0, description: 'Changes carried in the last hour.' }),
  },
  { title: 'SyncLatency' },
);

/** `GET /api/v1/sync/status` (interfaces.md §4, B6.5). */
export const SyncStatus = Type.Object(
  {
    enabled: Type.Boolean(),
    state: Type.Enum(['idle', 'running', 'disabled', 'failed']),
    nextPassAt: NullableInstant,
    passes: Type.Object({
      completed: Type.Integer({ minimum: 0, description: 'Increases by one after every finished pass.' }),
      lastStartedAt: NullableInstant,
      lastFinishedAt: NullableInstant,
      lastError: Type.Union([Type.String(), Type.Null()]),
    }),
    initialLoad: Type.Object(
      {
        done: Type.Boolean(),
        processed: Type.Integer({
          minimum: 0,
          description: 'CRM rows the initial load applied (persisted).',
        }),
        total: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
          description:
            'Sum of the CRM’s `RetrieveTotalRecordCount` per entity: a snapshot from within the last 24 hours, ' +
            'not live, so the load may end above it. Null when the CRM could not tell.',
        }),
        totalCountedAt: Type.Union([Instant, Type.Null()], {
          description: 'When Syncline asked for `total`.',
        }),
        entities: Type.Immutable(
          Type.Array(
            Type.Object({
              entity: Type.String(),
              processed: Type.Integer({ minimum: 0 }),
              total: NullableCount,
              done: Type.Boolean(),
            }),
          ),
        ),
      },
      { description: 'B2.6: kept in the database, so a restart resumes the bar.' },
    ),
    errors: Type.Object(
      {
        open: Type.Integer({
          minimum: 0,
          description: 'Open or retrying: what GET /api/v1/sync/errors lists.',
        }),
        total: Type.Integer({ minimum: 0, description: 'Every kept error, resolved ones included.' }),
        retentionDays: Type.Number({
          minimum: 0,
          description:
            'An error not seen again for this long is deleted (SYNCLINE_SYNC_ERROR_RETENTION_DAYS).',
        }),
      },
      { description: 'The sync errors kept (B6.1).' },
    ),
    entities: Type.Record(Type.String(), SyncEntityStatus, { description: 'By CRM logical name.' }),
    crm: Type.Optional(
      Type.Object(
        {
          identities: Type.Immutable(
            Type.Array(
              Type.Object({
                number: Type.Integer({ minimum: 1, description: 'Position in the configured lists.' }),
                name: Type.Union([Type.String(), Type.Null()], {
                  description: 'The systemuser, once known.',
                }),
                userId: Type.Union([Type.String(), Type.Null()]),
                requests: Type.Integer({ minimum: 0 }),
                retries: Type.Integer({ minimum: 0 }),
                throttled: Type.Integer({ minimum: 0, description: 'HTTP 429 answers to this user.' }),
                concurrencyLimit: Type.Integer({ minimum: 0 }),
                inFlight: Type.Integer({ minimum: 0 }),
                retryAfterUntil: NullableInstant,
              }),
            ),
          ),
        },
        {
          description:
            'The application users the connector spreads requests over (interfaces.md §2), counted since start: ' +
            'Dataverse throttles each user on its own.',
        },
      ),
    ),
    latency: Type.Object(
      { fromCrm: SyncLatency, toCrm: SyncLatency },
      {
        description:
          'B2.8: changes carried in the last hour, per direction: from the CRM’s `modifiedon` (to the second) ' +
          'to the person’s commit, and from the marketing commit to the CRM’s acceptance of the push. Kept by ' +
          'the engine process in memory (a restart starts afresh).',
      },
    ),
    flowActions: Type.Optional(
      Type.Object(
        {
          syncedLastHour: Type.Integer({ minimum: 0 }),
          syncedLast24h: Type.Integer({ minimum: 0 }),
        },
        { description: 'CRM writes made by flow actions (B7), counted apart from passes.' },
      ),
    ),
    backfills: Type.Immutable(
      Type.Array(
        Type.Object({
          id: Type.String(),
          entity: Type.String(),
          attributes: Type.Immutable(Type.Array(Type.String())),
          status: Type.String(),
          processed: Type.Integer({ minimum: 0 }),
          total: NullableCount,
        }),
      ),
    ),
  },
  { title: 'SyncStatus' },
);
export type SyncStatus = Static<typeof SyncStatus>;
