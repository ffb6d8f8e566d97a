/**
 * Read throughput of a running emulator, measured from its own process (docs/emulator.md, Size and speed):
 *
 *   npx syncline emulator --seed demo --contacts 1000000 --port 8081 &
 *   SERVER_PID=<emulator pid> npx node tests/emulator/bench/read-throughput.ts http://127.0.0.1:8081 [tracked]
 *
 * Reads every contact page (`odata.maxpagesize=5000`, the sync's columns and lookup annotation, optionally
 * with `odata.track-changes` as the first sync does) and prints rows/s. With SERVER_PID it also prints the
 * emulator's CPU seconds (from /proc) and rows per emulator CPU second, which stays comparable when other
 * work shares the machine. Bounded: one pass over the table.
 */
import { readFileSync } from 'node:fs';

const origin = process.argv[2] ?? 'http://127.0.0.1:8081';
const tracked = process.argv[3] === 'tracked';
const token = process.env.BENCH_TOKEN ?? 'emulator-sync-token';
const serverPid = process.env.SERVER_PID;
const select = [
  'firstname',
  'lastname',
  'emailaddress1',
  'telephone1',
  'mobilephone',
  'jobtitle',
  'address1_line1',
  'address1_city',
  'address1_stateorprovince',
  'address1_postalcode',
  'address1_country',
  'donotemail',
  'donotbulkemail',
  'donotphone',
  'leadsourcecode',
  'new_synctomkto',
  'new_tier',
  '_parentcustomerid_value',
  '_ownerid_value',
  'statecode',
  'modifiedon',
  'createdon',
].join(',');

/** utime + stime of the emulator process in seconds (Linux /proc), 0 without SERVER_PID. */
function serverCpuSeconds(): number {
  if (!serverPid) return 0;
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const prefer = [
  'odata.maxpagesize=5000',
  ...(tracked ? ['odata.track-changes'] : []),
  'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"',
].join(',');
let url: string | undefined = `${origin}/api/data/v9.2/contacts?$select=${select}`;
let rows = 0;
let pages = 0;
const cpuBefore = serverCpuSeconds();
const started = performance.now();
while (url) {
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', Prefer: prefer },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { value: unknown[]; '@odata.nextLink'?: string };
  rows += body.value.length;
  pages += 1;
  url = body['@odata.nextLink'];
}
const seconds = (performance.now() - started) / 1000;
const serverSeconds = serverCpuSeconds() - cpuBefore;
console.log(
  JSON.stringify({
    mode: tracked ? 'tracked' : 'plain',
    rows,
    pages,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows / seconds),
    ...(serverPid
      ? {
          serverCpuSeconds: Number(serverSeconds.toFixed(2)),
          rowsPerServerCpuSecond: Math.round(rows / serverSeconds),
        }
      : {}),
  }),
);
