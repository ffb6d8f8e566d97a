import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures as f, syncUserIdAt } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { crmAdmin, startEmulatorProcess, type EmulatorProcess } from '../engine/sync-world.ts';

/**
 * Several application users (issue 15 item 4, interfaces.md §2–§3) over real HTTP, with the emulator as its own
 * process started with two sync tokens: each is a systemuser of its own with its own service-protection limits,
 * the connector spreads its requests over both, a throttled user's Retry-After holds only that user, and a bad
 * identity is named by its position, never by its token.
 */
const tokenA = 'app-user-token-a';
const tokenB = 'app-user-token-b';
const userA = syncUserIdAt(0);
const userB = syncUserIdAt(1);

let emulator: EmulatorProcess;
let admin: ReturnType<typeof crmAdmin>;

before(async () => {
  emulator = await startEmulatorProcess(['--seed', 'demo', '--token', `${tokenA},${tokenB}`]);
  admin = crmAdmin(emulator.url);
});
after(() => emulator?.stop());
beforeEach(async () => {
  assert.equal((await admin('POST', '/_emulator/reset', { seed: 'demo' })).status, 200);
  assert.equal((await admin('PUT', '/_emulator/limits', {})).status, 200);
});

function connector(tokens: readonly string[]): DataverseConnector {
  return new DataverseConnector({
    url: emulator.url,
    auth: tokens.map((token) => ({ kind: 'static-token' as const, token })),
    logger: silentLogger(),
    retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200, budgetMs: 30_000 },
  });
}

/** A plain Web API call as one application user. */
async function as(token: string, path: string): Promise<Response> {
  const response = await fetch(`${emulator.url}/api/data/v9.2/${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  await response.arrayBuffer();
  return response;
}

async function emulatorStats(): Promise<{
  admittedPerUser: Record<string, number>;
  throttledPerUser: Record<string, { requests: number }>;
}> {
  return (await admin('GET', '/_emulator/stats')).json;
}

async function accountIds(): Promise<string[]> {
  return ((await admin('GET', 'accounts?$select=accountid')).json.value as { accountid: string }[]).map(
    (row) => row.accountid,
  );
}

describe('the emulator with --token a,b', () => {
  test('each token is a systemuser of its own, in the sync profile, with its own limits', async () => {
    const whoAmI = async (token: string) =>
      (await (
        await fetch(`${emulator.url}/api/data/v9.2/WhoAmI()`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { UserId: string };
    assert.equal((await whoAmI(tokenA)).UserId, userA);
    assert.equal((await whoAmI(tokenB)).UserId, userB);
    assert.notEqual(userA, userB);
    const members = await admin(
      'GET',
      `fieldsecurityprofiles(${f.syncProfileId})/systemuserprofiles_association?$select=fullname`,
    );
    const names = new Map(
      (members.json.value as { systemuserid: string; fullname: string }[]).map((u) => [
        u.systemuserid,
        u.fullname,
      ]),
    );
    assert.equal(names.get(userA), '# Syncline Sync');
    assert.equal(names.get(userB), '# Syncline Sync 2');

    const before = await emulatorStats();
    await admin('PUT', '/_emulator/limits', { requestsPerWindow: 3, windowSeconds: 60 });
    for (let i = 0; i < 3; i += 1) assert.equal((await as(tokenA, 'accounts?$top=1')).status, 200);
    assert.equal((await as(tokenA, 'accounts?$top=1')).status, 429, 'user A spent its window');
    assert.equal((await as(tokenB, 'accounts?$top=1')).status, 200, 'user B has a window of its own');
    const stats = await emulatorStats();
    assert.equal(stats.throttledPerUser[userA]?.requests, 1);
    assert.equal(stats.throttledPerUser[userB], undefined);
    const admitted = (user: string) => stats.admittedPerUser[user] - (before.admittedPerUser[user] ?? 0);
    assert.equal(admitted(userA), 3);
    assert.equal(admitted(userB), 1);
  });
});

describe('the connector with two application users', () => {
  test('spreads its requests over both users and knows each by WhoAmI and name', async () => {
    const crm = connector([tokenA, tokenB]);
    try {
      const ids = await accountIds();
      const before = await emulatorStats();
      await Promise.all(ids.map((id) => crm.existingIds('account', [id])));
      await Promise.all(ids.map((id) => crm.existingIds('account', [id])));
      const after = await emulatorStats();
      const served = (user: string) =>
        (after.admittedPerUser[user] ?? 0) - (before.admittedPerUser[user] ?? 0);
      const total = served(userA) + served(userB);
      assert.ok(total >= 2 * ids.length, `${total} requests`);
      // Spread, not all on the first user: each carried at least a third.
      assert.ok(
        served(userA) >= total / 3 && served(userB) >= total / 3,
        `A ${served(userA)}, B ${served(userB)}`,
      );
      const stats = crm.stats();
      assert.deepEqual(
        stats.identities?.map((identity) => identity.number),
        [1, 2],
      );
      assert.equal(
        stats.requests,
        stats.identities!.reduce((sum, identity) => sum + identity.requests, 0),
      );

      const identities = await crm.identities();
      assert.deepEqual(
        identities.map((identity) => [
          identity.number,
          identity.whoAmI?.userId,
          identity.name,
          identity.error,
        ]),
        [
          [1, userA, '# Syncline Sync', undefined],
          [2, userB, '# Syncline Sync 2', undefined],
        ],
      );
      assert.equal((await crm.whoAmI()).userId, userA, 'whoAmI() is the first user');
      assert.deepEqual(
        crm.stats().identities?.map((identity) => identity.name),
        ['# Syncline Sync', '# Syncline Sync 2'],
      );
    } finally {
      await crm.close();
    }
  });

  test("a throttled user's Retry-After holds that user only: the other carries the requests meanwhile", async () => {
    const crm = connector([tokenA, tokenB]);
    try {
      const ids = await accountIds();
      await crm.existingIds('account', [ids[0]]); // metadata, before the limits are on
      await admin('PUT', '/_emulator/limits', { requestsPerWindow: 40, windowSeconds: 60 });
      // Someone else spends user A's whole window (another integration running as the same application user).
      for (let i = 0; i < 40; i += 1) assert.equal((await as(tokenA, 'accounts?$top=1')).status, 200);
      // 429s of user A from now on (the emulator's counters are kept across tests).
      const earlier = (await emulatorStats()).throttledPerUser;
      const throttledA = async () =>
        ((await emulatorStats()).throttledPerUser[userA]?.requests ?? 0) - (earlier[userA]?.requests ?? 0);
      const started = performance.now();
      await Promise.all(ids.map((id) => crm.existingIds('account', [id])));
      // Only the burst already in flight on A when its first 429 came back was refused…
      const burst = await throttledA();
      assert.ok(burst >= 1, 'A was throttled');
      await Promise.all(ids.map((id) => crm.existingIds('account', [id])));
      // …then A's Retry-After was respected: nothing more was sent as A, B carried the rest.
      assert.equal(await throttledA(), burst, 'no request went to A during its Retry-After');
      const seconds = (performance.now() - started) / 1000;
      // Waiting out A's Retry-After (up to 60 s) was not needed.
      assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
      const [a, b] = crm.stats().identities!;
      assert.equal(a.throttled, burst);
      assert.ok(
        a.retryAfterUntil !== null && Date.parse(a.retryAfterUntil) > Date.now(),
        'user #1 still held',
      );
      assert.equal(b.throttled, 0);
      assert.equal(b.retryAfterUntil, null);
      assert.equal(
        (await emulatorStats()).throttledPerUser[userB]?.requests ?? 0,
        earlier[userB]?.requests ?? 0,
      );
    } finally {
      await crm.close();
    }
  });

  test('a bad identity is named by its position, never by its token', async () => {
    const wrong = 'not-a-valid-token-9f2c';
    const crm = connector([tokenA, wrong]);
    try {
      const identities = await crm.identities();
      assert.equal(identities[0].error, undefined);
      assert.equal(identities[0].whoAmI?.userId, userA);
      const bad = identities[1].error;
      assert.ok(bad !== undefined && isCrmError(bad));
      assert.equal(bad.reason, 'auth');
      assert.match(bad.message, /application user #2/);
      assert.doesNotMatch(bad.message, new RegExp(wrong));
      // The sync's own requests meet it soon: the failure names the identity, pass-level (B6.3).
      const ids = await accountIds();
      await assert.rejects(
        Promise.all(ids.map((id) => crm.retrieve('account', id, ['name']))),
        (error: unknown) => {
          assert.ok(isCrmError(error));
          assert.equal(error.errorClass, 'pass');
          assert.match(error.message, /application user #2/);
          assert.doesNotMatch(error.message, new RegExp(wrong));
          return true;
        },
      );
    } finally {
      await crm.close();
    }
  });

  test('field-level security: a column is synced only where every user may read it', async () => {
    // User A alone joins the System Administrator profile, which may read contact.new_creditscore.
    const link = await admin(
      'POST',
      `fieldsecurityprofiles(${f.systemAdministratorProfileId})/systemuserprofiles_association/$ref`,
      { '@odata.id': `${emulator.url}/api/data/v9.2/systemusers(${userA})` },
    );
    assert.ok(link.status < 300, JSON.stringify(link.json));
    const readable = async (tokens: readonly string[]) => {
      const crm = connector(tokens);
      try {
        const described = await crm.describeEntity('contact');
        return described.attributes.find((attribute) => attribute.logicalName === 'new_creditscore')?.read;
      } finally {
        await crm.close();
      }
    };
    assert.equal(await readable([tokenA]), true, 'user A alone may read it');
    assert.equal(await readable([tokenB]), false, 'user B alone may not');
    assert.equal(await readable([tokenA, tokenB]), false, 'both: B would read it as empty, so not synced');
  });
});

describe('syncline check with two application users', () => {
  const check = (tokens: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['src/main.ts', 'check'],
        {
          cwd: join(import.meta.dirname, '..', '..'),
          env: {
            ...process.env,
            SYNCLINE_LOG_LEVEL: 'warn',
            SYNCLINE_DYNAMICS_URL: emulator.url,
            SYNCLINE_DYNAMICS_TOKEN: tokens,
            SYNCLINE_DB: 'sqlite:./data/absent-application-users-check.db',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  test('validates every user: each authenticates and answers WhoAmI', async () => {
    const result = await check(`${tokenA},${tokenB}`);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Application users \(2;/);
    assert.match(
      result.stdout,
      new RegExp(`✔ application user #1 \\(# Syncline Sync\\) — credentials valid, WhoAmI: user ${userA}`),
    );
    assert.match(
      result.stdout,
      new RegExp(`✔ application user #2 \\(# Syncline Sync 2\\) — credentials valid, WhoAmI: user ${userB}`),
    );
  });

  test('a bad second user makes the connection unusable, named by position, its token never printed', async () => {
    const wrong = 'wrong-second-token-77a1';
    const result = await check(`${tokenA},${wrong}`);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /✔ application user #1/);
    assert.match(result.stdout, /✘ application user #2: credentials refused/);
    assert.match(result.stdout, /NOT usable/);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(wrong));
  });
});
