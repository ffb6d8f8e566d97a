/**
 * Bounded storage soak (issue 16 item 7): does the marketing change feed (`person_changes`) stay bounded while
 * marketing edits keep coming and the sync keeps consuming them?
 *
 * The Dataverse emulator and `syncline start` each run as their own process (the product as shipped, with its
 * engine, campaign runner and storage pruner); this harness edits linked persons through the API at a steady
 * rate for the whole run and counts the feed's rows in the database beside it every few seconds.
 *
 *   node bench/soak/change-feed-soak.ts [--backend sqlite|postgres] [--minutes 5] [--rate 40]
 *                                       [--retention-seconds 30]
 *
 * `--retention-seconds` becomes SYNCLINE_CHANGE_FEED_RETENTION_DAYS (as a fraction of a day), so the pruner's
 * rounds come every half retention; with the default 7 days nothing would be pruned within a soak. The feed
 * should then hold about rate × (retention + half of it + the readers' lag) rows, whatever the duration.
 */
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { startEmulatorProcess } from '../../tests/engine/sync-world.ts';
import { createTestDatabase, withRawPostgres, type StoreKind } from '../../tests/helpers/test-store.ts';
import { startSynclineProcess } from '../../tests/process/syncline-process.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '40' },
    'retention-seconds': { type: 'string', default: '30' },
    contacts: { type: 'string', default: '200' },
  },
});
const backend = values.backend as StoreKind;
if (backend !== 'sqlite' && backend !== 'postgres') throw new Error('--backend is sqlite or postgres');
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const retentionSeconds = Number(values['retention-seconds']);
const contacts = Number(values.contacts);
const sampleEveryMs = 10_000;

const emulator = await startEmulatorProcess([
  '--seed',
  'demo',
  '--contacts',
  String(contacts),
  '--leads',
  '0',
]);
console.log(`emulator at ${emulator.url}`);
await using database = await createTestDatabase(backend);
const syncline = await startSynclineProcess({
  database: database.config,
  crmUrl: emulator.url,
  env: {
    SYNCLINE_SYNC_INTERVAL: '2',
    SYNCLINE_CHANGE_FEED_RETENTION_DAYS: String(retentionSeconds / 86_400),
  },
});

/** Rows in the feed now, counted in the database itself. */
async function feedRows(): Promise<number> {
  if (database.config.kind === 'sqlite') {
    const db = new DatabaseSync(database.config.path, { readOnly: true });
    try {
      return Number((db.prepare('select count(*) as n from person_changes').get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  return withRawPostgres(database, async (client) =>
    Number((await client.query('select count(*) as n from person_changes')).rows[0].n),
  );
}

try {
  const started = Date.now();
  for (;;) {
    const status = await syncline.api('GET', '/api/v1/sync/status');
    if (status.body?.initialLoad?.done === true) break;
    if (Date.now() - started > 300_000) throw new Error('the initial load took over 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await syncline.api(
      'GET',
      `/api/v1/persons?crmType=contact&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    ids.push(...page.body.items.map((person) => person.id));
    cursor = page.body.nextCursor;
  } while (cursor !== null);

  const before = await feedRows();
  console.log(
    `${backend}: ${ids.length} linked persons; feed after the initial load: ${before} rows. ` +
      `Editing ${rate} persons/s for ${minutes} min, retention ${retentionSeconds} s.`,
  );
  const samples: { at: number; written: number; rows: number }[] = [];
  let written = 0;
  let failed = 0;
  const soakStart = Date.now();
  let nextSample = soakStart + sampleEveryMs;
  let tick = 0;
  while (Date.now() - soakStart < minutes * 60_000) {
    const second = Date.now();
    const edits = Array.from({ length: rate }, (_, index) => ids[(tick * rate + index) % ids.length]);
    const answers = await Promise.all(
      edits.map((id) => syncline.api('PATCH', `/api/v1/persons/${id}`, { title: `soak ${tick}` })),
    );
    for (const answer of answers)
      if (answer.status === 200) written += 1;
      else failed += 1;
    tick += 1;
    if (Date.now() >= nextSample) {
      const rows = await feedRows();
      samples.push({ at: Math.round((Date.now() - soakStart) / 1000), written, rows });
      console.log(`  t=${samples.at(-1)!.at} s  changes written ${written}  feed rows ${rows}`);
      nextSample += sampleEveryMs;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - second))));
  }
  const after = await feedRows();
  const steady = samples.filter((sample) => sample.at >= retentionSeconds * 2);
  const peak = Math.max(...samples.map((sample) => sample.rows));
  const steadyPeak = steady.length > 0 ? Math.max(...steady.map((sample) => sample.rows)) : peak;
  console.log(
    JSON.stringify({
      backend,
      minutes,
      ratePerSecond: rate,
      retentionSeconds,
      changesWritten: written,
      failedEdits: failed,
      feedRowsBefore: before,
      feedRowsAfter: after,
      peakRows: peak,
      steadyPeakRows: steadyPeak,
      // Bounded: after the first two retentions the feed no longer grows with the changes written.
      bounded: after < written / 2 && steadyPeak <= rate * (retentionSeconds * 3 + 60),
    }),
  );
} finally {
  await syncline.stop();
  await emulator.stop();
}
