/**
 * What SQLite itself spends on the rows an initial load writes per contact (docs/benchmarks.md, "What S1's
 * 20,000 records/s would take"): pages of 5,000 new persons with their CRM links and bases, each page one
 * durable transaction (WAL, `synchronous = full`), in the store's own schema (its migrations), the statements
 * shaped as the store's (multi-row inserts of 100). Emails are shaped like the emulator's seed (first.last.N:
 * each name pair is an insertion point of its own, all over the index); CRM ids are random GUIDs taken in key
 * order, as the emulator's change-tracked initial load pages (the links' and bases' keys then append), or in
 * random order with `--random-ids` (as changes arrive later). Variants leave out indexes to show what each costs.
 *
 * Run: `node bench/store/page-insert-bench.ts [contacts=100000] [--random-ids]` (Node 24: `npm exec node …`).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { v7 } from 'uuid';
import { firstNames, lastNames } from '../../src/emulator/seed/demo-names.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const contacts = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 100_000);
const randomIds = process.argv.includes('--random-ids');
const pageSize = 5_000;
const rowsPerStatement = 100;
const accounts = Array.from({ length: 10 }, () => randomUUID());

const variants: Record<string, string> = {
  'store schema': '',
  'without persons_email_norm': 'drop index persons_email_norm',
  'without crm_links and record_bases': 'drop table crm_links; drop table record_bases',
  'without any secondary index on persons':
    'drop index persons_email_norm; drop index persons_crm_type; drop index persons_updated_at; drop index persons_crm_account_id',
};

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

async function freshDatabase(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const store = await createSqliteStore({ path }, silentLogger());
  await store.migrate();
  await store.close();
}

function insertOf(database: DatabaseSync, table: string, columns: string[]): StatementSync {
  const row = `(${columns.map(() => '?').join(',')})`;
  return database.prepare(
    `insert into ${table} (${columns.join(',')}) values ${Array(rowsPerStatement).fill(row).join(',')}`,
  );
}

async function run(name: string, ddl: string) {
  const path = join(tmpdir(), 'syncline-page-insert-bench.db');
  await freshDatabase(path);
  const database = new DatabaseSync(path);
  database.exec('pragma journal_mode = wal; pragma synchronous = full; pragma foreign_keys = on');
  if (ddl !== '') database.exec(ddl);
  const hasLinks = !ddl.includes('drop table crm_links');
  const persons = insertOf(database, 'persons', [
    'id',
    'email_norm',
    'crm_type',
    'crm_account_id',
    'fields',
    'created_at',
    'updated_at',
  ]);
  const links = hasLinks
    ? insertOf(database, 'crm_links', [
        'entity',
        'crm_id',
        'person_id',
        'state',
        'etag',
        'version',
        'linked_at',
        'updated_at',
      ])
    : undefined;
  const bases = hasLinks
    ? insertOf(database, 'record_bases', ['entity', 'crm_id', 'bases', 'updated_at'])
    : undefined;
  const crmIds = Array.from({ length: contacts }, () => randomUUID());
  if (!randomIds) crmIds.sort();
  let statementsMs = 0;
  let commitMs = 0;
  for (let page = 0; page < contacts / pageSize; page++) {
    database.exec('begin immediate');
    for (let chunk = 0; chunk < pageSize / rowsPerStatement; chunk++) {
      const at = new Date().toISOString();
      const personRows: unknown[] = [];
      const linkRows: unknown[] = [];
      const baseRows: unknown[] = [];
      for (let k = 0; k < rowsPerStatement; k++) {
        const i = page * pageSize + chunk * rowsPerStatement + k;
        const [first, last] = [pick(firstNames), pick(lastNames)];
        const email = `${first}.${last}.${i + 1}@example.com`.toLowerCase();
        const crmId = crmIds[i];
        const account = pick(accounts);
        const id = v7();
        const fields = {
          email,
          firstName: first,
          lastName: last,
          jobTitle: 'Buyer',
          city: 'Lyon',
          crmType: 'contact',
          crmContactId: crmId,
          crmAccountId: account,
          company: 'Acme Ltd',
        };
        personRows.push(id, email, 'contact', account, JSON.stringify(fields), at, at);
        linkRows.push('contact', crmId, id, 'active', `W/"${i}"`, null, at, at);
        baseRows.push(
          'contact',
          crmId,
          JSON.stringify({ emailaddress1: email, firstname: first, lastname: last }),
          at,
        );
      }
      const started = performance.now();
      persons.run(...(personRows as never[]));
      links?.run(...(linkRows as never[]));
      bases?.run(...(baseRows as never[]));
      statementsMs += performance.now() - started;
    }
    const committing = performance.now();
    database.exec('commit');
    commitMs += performance.now() - committing;
  }
  database.close();
  const perRow = (ms: number) => ((ms * 1000) / contacts).toFixed(1);
  console.log(
    `${name.padEnd(46)} statements ${perRow(statementsMs)} µs, commit ${perRow(commitMs)} µs per contact`,
  );
}

for (let round = 1; round <= 2; round++) {
  for (const [name, ddl] of Object.entries(variants)) await run(`round ${round}: ${name}`, ddl);
}
