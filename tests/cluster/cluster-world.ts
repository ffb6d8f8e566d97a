import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { crmAdmin, startEmulatorProcess, waitFor, type EmulatorProcess } from '../engine/sync-world.ts';
import { createTestDatabase, withRawPostgres, type TestDatabase } from '../helpers/test-store.ts';
import { startSynclineProcess, type SynclineProcess } from '../process/syncline-process.ts';

/**
 * A PostgreSQL cluster of `syncline start` processes (bin/syncline.js and its engine child) on one schema,
 * against the emulator as its own process (B2.9, issue 15). Short leases keep the tests short.
 *
 * Every replica connects with its id as PostgreSQL's `application_name` (PGAPPNAME), and a trigger on the
 * tables only sync work writes records, for every committed row, which replica wrote it and who held the
 * lease then: `staleCommits()` lists the rows a replica committed while another replica held the lease — what
 * fencing must make impossible. The trigger reads the lease row inside the writing transaction, so for a
 * fenced writer (whose transaction share-locks that row) it sees the writer's own hold.
 */

export const leaseSeconds = 3;

/** The demo data set every cluster test starts from: small, so the initial load takes a second. */
const seed = { seed: 'demo', contacts: 8, leads: 4, accounts: 2 } as const;

export interface Replica {
  readonly id: string;
  readonly process: SynclineProcess;
}

export interface LeaseState {
  readonly holder: string | null;
  readonly epoch: number;
}

export interface StaleCommit {
  readonly app: string;
  readonly tbl: string;
  readonly op: string;
  readonly lease: string;
  readonly holder: string | null;
  readonly at: Date;
}

export interface ReplicaOptions {
  /** Overrides SYNCLINE_DB / SYNCLINE_DYNAMICS_URL and the like (a replica reaching them through a forwarder). */
  readonly env?: Readonly<Record<string, string>>;
  readonly wrapper?: readonly string[];
}

export class ClusterWorld {
  readonly emulator: EmulatorProcess;
  readonly database: TestDatabase;
  readonly crm: ReturnType<typeof crmAdmin>;
  readonly #replicas = new Map<string, Replica>();
  readonly #frozen = new Set<number>();

  private constructor(emulator: EmulatorProcess, database: TestDatabase) {
    this.emulator = emulator;
    this.database = database;
    this.crm = crmAdmin(emulator.url);
  }

  /** The emulator (own process, demo data), a migrated schema with the audit trigger; no replica yet. */
  static async open(): Promise<ClusterWorld> {
    const emulator = await startEmulatorProcess([
      '--seed',
      seed.seed,
      '--contacts',
      String(seed.contacts),
      '--leads',
      String(seed.leads),
      '--accounts',
      String(seed.accounts),
    ]);
    const database = await createTestDatabase('postgres');
    const store = await createStore(database.config, silentLogger());
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    await withRawPostgres(database, (client) => client.query(auditSql));
    return new ClusterWorld(emulator, database);
  }

  get databaseUrl(): string {
    return (this.database.config as { url: string }).url;
  }

  /** `syncline start` as replica `id`, with a 3-s lease and a 1-s pass interval. */
  async start(id: string, options: ReplicaOptions = {}): Promise<Replica> {
    const process = await startSynclineProcess({
      database: this.database.config,
      crmUrl: this.emulator.url,
      env: {
        SYNCLINE_LEASE_SECONDS: String(leaseSeconds),
        SYNCLINE_SYNC_INTERVAL: '1',
        SYNCLINE_REPLICA_ID: id,
        PGAPPNAME: id,
        ...options.env,
      },
      ...(options.wrapper === undefined ? {} : { wrapper: options.wrapper }),
    });
    const replica = { id, process };
    this.#replicas.set(id, replica);
    return replica;
  }

  replica(id: string): Replica {
    const replica = this.#replicas.get(id);
    if (replica === undefined) throw new Error(`no replica ${id}`);
    return replica;
  }

  /** Replicas whose process still runs. */
  get live(): Replica[] {
    return [...this.#replicas.values()].filter(
      (replica) => replica.process.child.exitCode === null && replica.process.child.signalCode === null,
    );
  }

  /** `GET /api/v1/cluster` through `via` (default: the first live replica). */
  async view(via: Replica = this.live[0]!): Promise<any> {
    const response = await via.process.api('GET', '/api/v1/cluster');
    assert.equal(response.status, 200, response.text);
    return response.body;
  }

  async lease(name: string, via?: Replica): Promise<LeaseState> {
    const view = await this.view(via);
    const lease = view.leases.find((entry: any) => entry.name === name);
    return { holder: lease?.holder ?? null, epoch: lease?.epoch ?? 0 };
  }

  /** Waits until `accept` holds for lease `name` as `via` shows it; returns the state and when it was seen. */
  async waitForLease(
    name: string,
    accept: (state: LeaseState) => boolean,
    timeoutMs: number,
    via?: Replica,
  ): Promise<LeaseState & { seenAt: number }> {
    return waitFor(
      `lease ${name}`,
      async () => {
        const state = await this.lease(name, via).catch(() => undefined);
        return state !== undefined && accept(state) ? { ...state, seenAt: Date.now() } : undefined;
      },
      timeoutMs,
    );
  }

  /** The pid of `replica`'s engine child (it holds the database connections and the API). */
  async enginePid(replica: Replica): Promise<number> {
    const view = await this.view(replica);
    // A replica restarted under the same id leaves its old row until it is forgotten: take the row of the
    // engine child of this very process.
    for (const entry of view.replicas.filter((candidate: any) => candidate.id === replica.id)) {
      const stat = await readFile(`/proc/${entry.pid}/stat`, 'utf8').catch(() => undefined);
      if (stat === undefined) continue;
      const [, parent, group] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      if (parent !== replica.process.child.pid) continue;
      // The child leads a process group of its own (spawned detached): signal the whole group.
      assert.equal(group, entry.pid, 'the engine child leads its process group');
      return entry.pid as number;
    }
    throw new Error(`no engine child of ${replica.id} in the cluster view: ${JSON.stringify(view.replicas)}`);
  }

  /** Waits until the sync has loaded the demo data and finished a pass. */
  async waitForInitialLoad(via: Replica): Promise<void> {
    await waitFor(
      'the initial load',
      async () => {
        const { body } = await via.process.api('GET', '/api/v1/sync/status');
        return body?.initialLoad?.done && body.passes.completed > 0 ? true : undefined;
      },
      60_000,
    );
  }

  /** Persons linked to contacts (the demo's), for edits on both sides. */
  async contactPersons(via: Replica, count: number): Promise<{ personId: string; crmId: string }[]> {
    const { body } = await via.process.api('GET', `/api/v1/persons?crmType=contact&limit=${count}`);
    assert.ok(body.items.length >= count, `${count} persons linked to contacts`);
    return body.items.map((person: any) => ({ personId: person.id, crmId: person.crmContactId }));
  }

  /** A marketing edit through `via`'s API (acknowledged: 200). */
  async editPerson(via: Replica, personId: string, title: string): Promise<void> {
    const response = await via.process.api('PATCH', `/api/v1/persons/${personId}`, { title });
    assert.equal(response.status, 200, response.text);
  }

  /** A CRM user's edit of a contact's job title. */
  async editContact(crmId: string, jobtitle: string): Promise<void> {
    const response = await this.crm('PATCH', `contacts(${crmId})`, { jobtitle });
    assert.equal(response.status, 204, JSON.stringify(response.json));
  }

  /** Waits until the person and its contact both carry `title`. */
  async waitForConverged(
    via: Replica,
    target: { personId: string; crmId: string },
    title: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    let last: unknown[] = [];
    try {
      await waitFor(
        `person ${target.personId} and contact ${target.crmId} to carry "${title}"`,
        async () => {
          const person = await via.process.api('GET', `/api/v1/persons/${target.personId}`);
          const contact = await this.crm('GET', `contacts(${target.crmId})?$select=jobtitle`);
          last = [person.body?.title, contact.json?.jobtitle];
          return last[0] === title && last[1] === title ? true : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last seen [marketing, CRM] = ${JSON.stringify(last)}`, {
        cause: error,
      });
    }
  }

  /**
   * Turns on `latencyMs` for every CRM answer and resolves once an answer to the sync user is being held back:
   * the holder is then waiting for the CRM, and will act on the answer the moment it gets it.
   */
  async holdNextSyncAnswer(latencyMs: number): Promise<void> {
    const held = async () => {
      const stats = await this.crm('GET', '/_emulator/stats');
      return (stats.json.faultsPerUser?.[emulatorFixtures.syncUserId]?.latency ?? 0) as number;
    };
    const before = await held();
    assert.equal((await this.crm('PUT', '/_emulator/faults', { latencyMs })).status, 200);
    await waitFor('an answer to the sync user held back', async () =>
      (await held()) > before ? true : undefined,
    );
  }

  async latencyOff(): Promise<void> {
    assert.equal((await this.crm('PUT', '/_emulator/faults', {})).status, 200);
  }

  /**
   * Holds `replica`'s heartbeat row locked until the returned function is called: its next heartbeat waits on
   * the row (up to the lease table's 4-s statement timeout), and the renewal behind it in the same round waits
   * too — the replica's lease bookkeeping stalls while its store works on.
   */
  async stallHeartbeat(replica: Replica): Promise<() => Promise<void>> {
    const url = new URL(this.databaseUrl);
    const schema = url.searchParams.get('schema')!;
    url.searchParams.delete('schema');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(`set search_path to ${schema}`);
    await client.query('begin');
    const { rowCount } = await client.query('select 1 from sync_replicas where id = $1 for update', [
      replica.id,
    ]);
    assert.equal(rowCount, 1, `${replica.id} has a heartbeat row`);
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }

  /** Rows of sync state a replica committed while another replica held the lease (must be none). */
  async staleCommits(): Promise<StaleCommit[]> {
    return withRawPostgres(this.database, async (client) => {
      const { rows } = await client.query<StaleCommit>(
        `select app, tbl, op, lease, holder, at from cluster_audit
         where holder is distinct from app order by id limit 20`,
      );
      return rows;
    });
  }

  /** When `replica` first committed a cursor (a page of a pass, B2.4) at or after `since`; undefined if not yet. */
  async firstPageSince(replica: string, since: Date): Promise<Date | undefined> {
    return withRawPostgres(this.database, async (client) => {
      const { rows } = await client.query<{ at: Date | null }>(
        `select min(at) as at from cluster_audit where app = $1 and tbl = 'sync_cursors' and at >= $2`,
        [replica, since],
      );
      return rows[0]?.at ?? undefined;
    });
  }

  /** How many rows of sync state each replica committed (so a test can tell the audit saw work at all). */
  async commitsByReplica(): Promise<Record<string, number>> {
    return withRawPostgres(this.database, async (client) => {
      const { rows } = await client.query<{ app: string; n: string }>(
        `select app, count(*) as n from cluster_audit group by app`,
      );
      return Object.fromEntries(rows.map((row) => [row.app, Number(row.n)]));
    });
  }

  /** Lines of `replica`'s log (JSON) whose message matches. */
  logLines(replica: Replica, pattern: RegExp): string[] {
    return replica.process
      .output()
      .split('\n')
      .filter((line) => pattern.test(line));
  }

  async waitForLog(replica: Replica, pattern: RegExp, timeoutMs: number): Promise<void> {
    await waitFor(
      `${replica.id} to log ${pattern}`,
      async () => (this.logLines(replica, pattern).length > 0 ? true : undefined),
      timeoutMs,
    );
  }

  /** Runs a pass on the sync holder and returns what it wrote (B2.8: after convergence, nothing). */
  async passWrites(holder: Replica): Promise<[string, number][]> {
    const before = (await holder.process.api('GET', '/api/v1/sync/status')).body.passes.completed as number;
    assert.equal((await holder.process.api('POST', '/api/v1/sync/passes')).status, 202);
    await waitFor(
      'the requested pass',
      async () => {
        const { body } = await holder.process.api('GET', '/api/v1/sync/status');
        return body.passes.completed > before + 1 && body.state !== 'running' ? true : undefined;
      },
      30_000,
    );
    const passes = (await holder.process.api('GET', '/api/v1/sync/passes?limit=5')).body.items;
    const pass = passes.find((candidate: any) => candidate.status !== 'running');
    return Object.entries(pass.counts as Record<string, number>).filter(
      ([key, value]) => /\.(toCrm|fromCrm)\.(updated|created)$/.test(key) && value > 0,
    );
  }

  /** SIGSTOP of `replica`'s engine (its API freezes too: ask the others). Thawed by `thaw` or `close`. */
  async freeze(replica: Replica): Promise<number> {
    const pid = await this.enginePid(replica);
    this.#frozen.add(pid);
    assert.ok(signalGroup(pid, 'SIGSTOP'));
    return pid;
  }

  thaw(pid: number): void {
    signalGroup(pid, 'SIGCONT');
    this.#frozen.delete(pid);
  }

  async close(): Promise<void> {
    // A stopped engine would never hear the SIGTERM.
    for (const pid of this.#frozen) this.thaw(pid);
    await Promise.all([...this.#replicas.values()].map((replica) => replica.process.stop()));
    await this.emulator.stop();
    await this.database.dispose();
  }
}

/** Sends `signal` to the process group led by `pid` (an engine child); false when it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `check` holds, at most `timeoutMs`; false when it did not. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * The audit of sync-state writes. The campaign runner's cursor belongs to the `campaigns` lease
 * (src/flows/campaign-runner.ts), every other audited row to `sync`.
 */
const auditSql = `
create table cluster_audit (
  id bigserial primary key,
  at timestamptz not null default clock_timestamp(),
  app text not null,
  tbl text not null,
  op text not null,
  lease text not null,
  holder text,
  epoch bigint
);
create function cluster_audit_row() returns trigger language plpgsql as $$
declare
  lease_name text := 'sync';
  row_name text;
  lease_holder text;
  lease_epoch bigint;
begin
  if tg_table_name = 'sync_cursors' then
    if tg_op = 'DELETE' then row_name := old.name; else row_name := new.name; end if;
    if row_name = 'flows:campaigns' then lease_name := 'campaigns'; end if;
  end if;
  select holder, epoch into lease_holder, lease_epoch from sync_leases where name = lease_name;
  insert into cluster_audit (app, tbl, op, lease, holder, epoch)
  values (current_setting('application_name'), tg_table_name, tg_op, lease_name, lease_holder, lease_epoch);
  return null;
end $$;
create trigger cluster_audit after insert or update or delete on sync_cursors
  for each row execute function cluster_audit_row();
create trigger cluster_audit after insert or update or delete on sync_passes
  for each row execute function cluster_audit_row();
create trigger cluster_audit after insert or update or delete on record_bases
  for each row execute function cluster_audit_row();
create trigger cluster_audit after insert or update or delete on crm_links
  for each row execute function cluster_audit_row();
`;
