import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../logging/logger.ts';
import { ChangeSignal } from '../sql/change-signal.ts';

/** One channel for every schema; the payload names the schema and the announcing store. */
const channel = 'syncline_person_changes';
/** Wait before listening again after the connection failed. */
const reconnectMs = 2000;

export interface PostgresChangeSignal {
  readonly signal: ChangeSignal;
  /** Stops listening; the store calls it as it closes. */
  close(): Promise<void>;
}

/**
 * B2.8 across processes on PostgreSQL: a transaction that recorded marketing changes calls `pg_notify` (the
 * server delivers it at commit, drops it on rollback, and merges equal ones of one transaction), and a store
 * with listeners keeps one connection of its own on `LISTEN`. Payload `<schema> <store id>`: a store ignores its
 * own announcements (it raised them in process already) and other schemas'. While the connection is down,
 * announcements are missed — B2.8 allows it: the pass carries what a missed wake-up did not.
 */
export function postgresChangeSignal(url: string, schema: string, log: Logger): PostgresChangeSignal {
  const self = randomUUID();
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const listen = async () => {
    if (closed || client !== undefined) return;
    const connection = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    client = connection;
    const lost = (reason: string) => {
      if (client !== connection) return;
      client = undefined;
      connection.end().catch(() => undefined);
      if (closed) return;
      log.warn({ reason }, 'not hearing other processes’ marketing commits; listening again shortly');
      retry = setTimeout(() => void listen(), reconnectMs);
      retry.unref();
    };
    connection.on('error', (error) => lost(error.message));
    connection.on('end', () => lost('the connection ended'));
    connection.on('notification', (message) => {
      const [notifiedSchema, store] = (message.payload ?? '').split(' ');
      if (notifiedSchema === schema && store !== self) signal.emit();
    });
    try {
      await connection.connect();
      await connection.query(`listen ${channel}`);
    } catch (error) {
      lost(error instanceof Error ? error.message : String(error));
    }
  };

  const signal = new ChangeSignal({
    onError: (error) => log.error({ err: error }, 'a marketing-commit listener failed'),
    announce: async (db) => {
      await sql`select pg_notify(${channel}, ${`${schema} ${self}`})`.execute(db);
    },
    onFirstListener: () => void listen(),
  });

  return {
    signal,
    async close() {
      closed = true;
      clearTimeout(retry);
      const connection = client;
      client = undefined;
      await connection?.end().catch(() => undefined);
    },
  };
}
