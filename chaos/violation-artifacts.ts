import type { SeedArtifacts } from './artifacts.ts';
import type { Violation } from './checks.ts';
import { entitySets } from './crm-admin.ts';
import { subjectKey, type AcknowledgedWrite, type History } from './history.ts';
import type { World } from './world.ts';

/** How long one piece of evidence may take to fetch: a broken world must not hang the report. */
const fetchTimeoutMs = 30_000;

/**
 * Writes what the API and the emulator say once a seed has a violation (or could not run), while its processes
 * still run: the seed's whole history, the pass history, the emulator's stats, the cluster, the conflict log and
 * the sync errors; and per person a violation names, the person, its conflicts, its activities, its CRM
 * record(s) and the write history of each violated field with sent/acknowledged times and what each writer
 * saw. Every piece is fetched on its own: one that fails is written as its error, the rest still are.
 */
export async function writeViolationArtifacts(
  artifacts: SeedArtifacts,
  world: World | undefined,
  history: History | undefined,
  violations: readonly Violation[],
): Promise<void> {
  await artifacts.write(
    'violations.txt',
    violations.map((violation) => `[${violation.check}] ${violation.message}\n`).join('\n'),
  );
  if (history !== undefined) {
    await artifacts.write('history.json', {
      counts: history.counts,
      takeovers: history.takeovers,
      writes: history.writes.map(withTimes),
      events: history.events,
      notes: history.notes,
    });
  }
  if (world === undefined) return;
  const save = async (file: string, fetch: () => Promise<unknown>) =>
    artifacts.write(file, await evidence(fetch));
  await save('sync-passes.json', () => world.api.all('/api/v1/sync/passes'));
  await save('sync-status.json', () => world.api.ok('GET', '/api/v1/sync/status'));
  await save('sync-conflicts.json', () => world.api.all('/api/v1/sync/conflicts'));
  await save('sync-errors.json', () => world.api.all('/api/v1/sync/errors'));
  await save('cluster.json', () => world.api.ok('GET', '/api/v1/cluster'));
  await save('emulator-stats.json', () => world.crm.control('GET', 'stats'));

  const fieldsOf = Map.groupBy(
    violations.filter((violation) => violation.personId !== undefined),
    (violation) => violation.personId!,
  );
  for (const [personId, about] of fieldsOf) {
    const directory = `persons/${personId}`;
    const person = await evidence(() => world.api.ok('GET', `/api/v1/persons/${personId}`));
    await artifacts.write(`${directory}/person.json`, person);
    await save(`${directory}/conflicts.json`, () =>
      world.api.all(`/api/v1/sync/conflicts?personId=${personId}`),
    );
    await save(`${directory}/activities.json`, () => world.api.all(`/api/v1/persons/${personId}/activities`));
    const records = person as { crmLeadId?: string | null; crmContactId?: string | null };
    for (const [entity, id] of [
      ['lead', records.crmLeadId],
      ['contact', records.crmContactId],
    ] as const)
      if (typeof id === 'string')
        await save(`${directory}/crm-${entity}-${id}.json`, async () => {
          const answer = await world.crm.request('GET', `${entitySets[entity]}(${id})`);
          return { status: answer.status, record: answer.json };
        });
    if (history === undefined) continue;
    // The person's writes: made on it through the API, or on its CRM record(s) by the administrator.
    const keys = new Set([
      subjectKey({ kind: 'person', personId }),
      ...(typeof records.crmLeadId === 'string' ? [`lead:${records.crmLeadId}`] : []),
      ...(typeof records.crmContactId === 'string' ? [`contact:${records.crmContactId}`] : []),
    ]);
    const fields = new Set(about.map((violation) => violation.field).filter((field) => field !== undefined));
    for (const field of fields) {
      const writes = history.writes
        .filter((write) => write.field === field && keys.has(subjectKey(write.subject)))
        .sort((a, b) => a.sentAt - b.sentAt);
      await artifacts.write(`${directory}/writes-${field}.json`, writes.map(withTimes));
      await artifacts.write(`${directory}/writes-${field}.txt`, writes.map(describeWrite).join(''));
    }
  }
}

async function evidence(fetch: () => Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${fetchTimeoutMs} ms`)), fetchTimeoutMs);
  });
  try {
    return await Promise.race([fetch(), timeout]);
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function withTimes(write: AcknowledgedWrite): Record<string, unknown> {
  return { ...write, sent: iso(write.sentAt), acknowledged: iso(write.acknowledgedAt) };
}

/** One line: sent → acknowledged, side, value, what the writer saw on its side. */
function describeWrite(write: AcknowledgedWrite): string {
  return (
    `${iso(write.sentAt)} → ${iso(write.acknowledgedAt).slice(11)}  ${write.side.padEnd(9)} ` +
    `${JSON.stringify(write.value)}` +
    (write.saw === undefined ? ' (create)' : `  saw ${JSON.stringify(write.saw)}`) +
    (write.dropped ? '  (answer lost: it committed)' : '') +
    `  on ${subjectKey(write.subject)}\n`
  );
}
