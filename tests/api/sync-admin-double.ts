import type { ResyncResult, SyncAdmin, SyncPreview, SyncStatus } from '../../src/engine/engine.ts';
import { SynclineError } from '../../src/errors/syncline-error.ts';
import type { SyncFieldView } from '../../src/domain/sync-field.ts';
import type { Page, PageRequest } from '../../src/store/person-store.ts';
import type {
  ConflictRecord,
  NotificationRecord,
  PassRecord,
  SyncErrorRecord,
} from '../../src/store/run-log-store.ts';

/**
 * An in-memory `SyncAdmin` for testing the HTTP layer at the port: it answers from the data it is given, pages
 * lists with offset cursors, and records every call with its arguments so a test can prove what reached the
 * engine (and that a rejected request reached nothing). The engine's own tests cover the real behaviour.
 */
export interface SyncAdminCall {
  readonly method: keyof SyncAdmin;
  readonly args: readonly unknown[];
}

export interface SyncAdminData {
  status: SyncStatus;
  passes: PassRecord[];
  fields: SyncFieldView[];
  errors: SyncErrorRecord[];
  conflicts: ConflictRecord[];
  notifications: NotificationRecord[];
  preview: SyncPreview;
  /** A method listed here throws the given error instead of answering. */
  failures: Partial<Record<keyof SyncAdmin, Error>>;
}

export function syncStatus(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    enabled: true,
    state: 'idle',
    nextPassAt: '2024-05-01T10:05:00.000Z',
    passes: {
      completed: 7,
      lastStartedAt: '2024-05-01T09:59:00.000Z',
      lastFinishedAt: '2024-05-01T10:00:00.000Z',
      lastError: null,
    },
    initialLoad: {
      done: true,
      processed: 1200,
      total: 1180,
      totalCountedAt: '2024-05-01T08:00:00.000Z',
      entities: [
        { entity: 'contact', processed: 1000, total: 990, done: true },
        { entity: 'lead', processed: 200, total: 190, done: true },
      ],
    },
    errors: { open: 2, total: 3, retentionDays: 90 },
    entities: {
      contact: {
        toCrm: { pending: 3, oldestPendingAt: '2024-05-01T09:58:00.000Z' },
        fromCrm: { pending: null, atLeast: false, basis: null, countedAt: null },
        syncedLastHour: 42,
        syncedLast24h: 900,
        growing: false,
        etaSeconds: 12.5,
      },
      lead: {
        toCrm: { pending: 0, oldestPendingAt: null },
        fromCrm: { pending: 5, atLeast: false, basis: 'delta-token', countedAt: '2024-05-01T10:00:30.000Z' },
        syncedLastHour: 8,
        syncedLast24h: 80,
        growing: true,
        etaSeconds: null,
      },
    },
    backfills: [
      { id: 'b1', entity: 'lead', attributes: ['new_tier'], status: 'running', processed: 10, total: null },
    ],
    latency: {
      fromCrm: { p50Ms: 850, p95Ms: 2400, p99Ms: 4100, count: 120 },
      toCrm: { p50Ms: null, p95Ms: null, p99Ms: null, count: 0 },
    },
    ...overrides,
  };
}

export function syncError(n: number, overrides: Partial<SyncErrorRecord> = {}): SyncErrorRecord {
  const id = `0190a5f0-0000-7000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    entity: 'contact',
    crmId: `1190a5f0-0000-7000-8000-${String(n).padStart(12, '0')}`,
    personId: `2190a5f0-0000-7000-8000-${String(n).padStart(12, '0')}`,
    direction: 'toCrm',
    operation: 'update',
    code: '0x80040265',
    message: `Rejected by a plug-in (${n})`,
    status: 'open',
    firstSeen: '2024-05-01T09:00:00.000Z',
    lastSeen: '2024-05-01T09:30:00.000Z',
    count: n,
    ...overrides,
  };
}

export function syncAdminDouble(data: Partial<SyncAdminData> = {}): {
  admin: SyncAdmin;
  calls: SyncAdminCall[];
  data: SyncAdminData;
} {
  const state: SyncAdminData = {
    status: syncStatus(),
    passes: [],
    fields: [],
    errors: [],
    conflicts: [],
    notifications: [],
    preview: { toCrm: [], toMarketing: [], truncated: false },
    failures: {},
    ...data,
  };
  const calls: SyncAdminCall[] = [];
  const record = (method: keyof SyncAdmin, args: unknown[]) => {
    calls.push({ method, args });
    const failure = state.failures[method];
    if (failure !== undefined) throw failure;
  };

  const admin: SyncAdmin = {
    async status() {
      record('status', []);
      return state.status;
    },
    async setEnabled(enabled) {
      record('setEnabled', [enabled]);
      state.status = { ...state.status, enabled, state: enabled ? 'idle' : 'disabled' };
      return state.status;
    },
    async requestPass() {
      record('requestPass', []);
      return { requested: true };
    },
    async listPasses(page) {
      record('listPasses', [page]);
      return pageOf(state.passes, page);
    },
    async resync(target) {
      record('resync', [target]);
      const result: ResyncResult =
        'personId' in target
          ? { personId: target.personId, entity: 'contact', crmId: 'c-1', toMarketing: ['email'], toCrm: [] }
          : {
              personId: 'p-1',
              entity: target.entity,
              crmId: target.crmId,
              toMarketing: [],
              toCrm: ['phone'],
            };
      return result;
    },
    async preview() {
      record('preview', []);
      return state.preview;
    },
    async listFields() {
      record('listFields', []);
      return state.fields;
    },
    async saveFields(selection) {
      record('saveFields', [selection]);
      state.fields = state.fields.map((field) => {
        const items = selection[field.entity];
        if (items === undefined) return field;
        const item = items.find((candidate) =>
          typeof candidate === 'string'
            ? candidate === field.attribute
            : candidate.attribute === field.attribute,
        );
        return {
          ...field,
          selected: item !== undefined,
          policy: item !== undefined && typeof item !== 'string' ? item.policy : field.policy,
        };
      });
      return state.fields;
    },
    async listErrors(query) {
      record('listErrors', [query]);
      const q = query.q?.toLowerCase();
      const matching = state.errors.filter(
        (error) =>
          (query.entity === undefined || error.entity === query.entity) &&
          (q === undefined || `${error.code} ${error.message} ${error.crmId}`.toLowerCase().includes(q)),
      );
      return pageOf(matching, query);
    },
    async retryError(id) {
      record('retryError', [id]);
      const index = state.errors.findIndex((error) => error.id === id);
      if (index < 0) throw new SynclineError('NOT_FOUND', `No sync error ${id}.`);
      state.errors[index] = { ...state.errors[index]!, status: 'retry' };
      return state.errors[index];
    },
    async listConflicts(query) {
      record('listConflicts', [query]);
      return pageOf(
        state.conflicts.filter(
          (conflict) => query.personId === undefined || conflict.personId === query.personId,
        ),
        query,
      );
    },
    async listNotifications(page) {
      record('listNotifications', [page]);
      return pageOf(state.notifications, page);
    },
  };
  return { admin, calls, data: state };
}

/** Offset paging; a cursor that is not a number is refused like the store refuses a forged one. */
function pageOf<T>(items: readonly T[], page: PageRequest): Page<T> {
  const offset = page.cursor === undefined ? 0 : Number(page.cursor);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new SynclineError('INVALID_CURSOR', 'The cursor was not issued by this server.');
  }
  const end = offset + page.limit;
  return { items: items.slice(offset, end), nextCursor: end < items.length ? String(end) : null };
}
