/**
 * S2 of `npm run bench`: every contact read by a bare `dynamics-web-api` `retrieveAll` — the same columns,
 * page size and change-tracking preference as the engine's initial load, nothing stored. Runs in its own
 * process (spawned by the harness) so that it competes with the emulator for the CPU exactly as the engine
 * process does. Prints one JSON line: `{ rows, wallMs, maxRssMiB }`.
 *
 *   node bench/sync/plain-client-read.ts <emulator url> <comma-separated columns>
 */
import { DynamicsWebApi } from 'dynamics-web-api';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';

const [url, columns] = process.argv.slice(2);
if (url === undefined || columns === undefined)
  throw new Error('usage: plain-client-read.ts <url> <columns>');

const api = new DynamicsWebApi({
  serverUrl: url,
  dataApi: { version: '9.2' },
  onTokenRefresh: () => Promise.resolve(emulatorFixtures.defaultSyncToken),
});
const started = performance.now();
const response = await api.retrieveAll({
  collection: 'contacts',
  select: columns.split(','),
  maxPageSize: 5000,
  trackChanges: true,
});
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    rows: response.value.length,
    wallMs,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
