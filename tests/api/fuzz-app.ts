import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { CrmConnector } from '../../src/connectors/connector.ts';
import { CrmError } from '../../src/connectors/crm-error.ts';
import { defaultEngineSettings, SyncService } from '../../src/engine/engine.ts';
import { FlowService } from '../../src/flows/flow-service.ts';
import { withFlowStatus } from '../../src/flows/flow-status.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/test-store.ts';
import { createWebhookReceiver } from '../../src/webhooks/webhook-receiver.ts';
import { fuzzWebhookKey } from './fuzz-requests.ts';
import { buildTestServer } from './support/test-server.ts';
import { EngineHold } from '../../src/runtime/engine-hold.ts';

/** The API over a real store, with the sync routes and flow actions wired but no CRM behind them. */
export interface FuzzApp {
  readonly kind: StoreKind;
  readonly app: ApiApp;
  /**
   * Changes whenever anything was committed to the database since the last call: PostgreSQL hashes every row
   * of every table of the test schema; SQLite reads `PRAGMA data_version` on a connection of its own, which
   * moves exactly when another connection commits. Either way a rejected request that wrote anything shows.
   */
  fingerprint(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A CRM that cannot be reached: every call fails as the real connector fails when the network is down. The sync
 * engine is built but never started (no passes, sync as after `disable`), so the sync-administration routes
 * answer from the store, and what needs the CRM answers 502 CRM_UNREACHABLE by design.
 */
function unreachableCrm(): CrmConnector {
  const fail = async () => {
    throw new CrmError({ errorClass: 'pass', reason: 'unreachable' }, 'The fuzz run has no CRM.');
  };
  const fixed: Partial<Record<string, unknown>> = {
    userId: '00000000-0000-0000-0000-000000000000',
    stats: () => ({ requests: 0, retries: 0, throttled: 0, concurrencyLimit: 1, inFlight: 0 }),
    refreshMetadata: () => undefined,
    close: async () => undefined,
    then: undefined,
  };
  return new Proxy({} as CrmConnector, {
    get: (_target, property) =>
      typeof property === 'string' && Object.hasOwn(fixed, property) ? fixed[property] : fail,
  });
}

export async function openFuzzApp(kind: StoreKind): Promise<FuzzApp> {
  const opened: TestStore = await openTestStore(kind);
  const deps = { store: opened.store, crm: unreachableCrm(), logger: silentLogger(), now: () => new Date() };
  const sync = new SyncService(deps, defaultEngineSettings);
  const flows = new FlowService(deps, defaultEngineSettings);
  // The webhook receiver queues into nothing here: what is fuzzed is its key check and its body's validation.
  const webhooks = createWebhookReceiver(fuzzWebhookKey, (notification) => notification.ids.length);
  // The real hold, never taken: GET /api/v1/cluster answers from the lease table (PostgreSQL) or this process.
  const cluster = new EngineHold(
    { database: opened.database.config, cluster: { leaseSeconds: 15, replicaId: 'fuzz' } },
    silentLogger(),
  );
  const app = await buildTestServer(opened.store, {
    syncAdmin: withFlowStatus(sync, flows),
    flows,
    webhooks,
    cluster,
  });
  const fingerprinter = await openFingerprinter(opened);
  return {
    kind,
    app,
    fingerprint: fingerprinter.read,
    close: async () => {
      await app.close();
      await cluster.release();
      await fingerprinter.close();
      await opened.dispose();
    },
  };
}

interface Fingerprinter {
  read(): Promise<string>;
  close(): Promise<void>;
}

async function openFingerprinter({ database }: TestStore): Promise<Fingerprinter> {
  const config = database.config;
  if (config.kind === 'sqlite') {
    const connection = new DatabaseSync(config.path, { readOnly: true });
    const version = connection.prepare('pragma data_version');
    return {
      read: async () => JSON.stringify(version.get()),
      close: async () => connection.close(),
    };
  }
  const url = new URL(config.url);
  const schema = url.searchParams.get('schema')!;
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const tables = await client.query<{ name: string }>(
    `select table_name as name from information_schema.tables
      where table_schema = $1 and table_type = 'BASE TABLE' order by table_name`,
    [schema],
  );
  // One statement per read: row count and an order-independent sum of row hashes, per table.
  const sql = tables.rows
    .map(
      ({ name }) =>
        `select '${name}' as t, count(*) as n, coalesce(sum(hashtextextended(r::text, 0)), 0) as h ` +
        `from "${schema}"."${name}" r`,
    )
    .join(' union all ');
  return {
    read: async () => JSON.stringify((await client.query(sql)).rows),
    close: () => client.end(),
  };
}
