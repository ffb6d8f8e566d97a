import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SynclineError } from '../errors/syncline-error.ts';
import { loadConfig } from './config.ts';

test('defaults follow interfaces.md §2 and select demo mode without a CRM URL', () => {
  const config = loadConfig({});
  assert.deepEqual(config.database, { kind: 'sqlite', path: './data/syncline.db' });
  assert.deepEqual(config.http, { host: '127.0.0.1', port: 8080 });
  assert.equal(config.demo, true);
  assert.equal(config.crm, undefined);
  assert.equal(config.sync.intervalSeconds, 10);
  assert.equal(config.sync.pushDelayMs, 1000);
  assert.equal(config.emulator.port, 8081);
  assert.equal(config.logLevel, 'info');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http));
});

test('a CRM URL with a static token leaves demo mode and uses the 300 s interval', () => {
  const config = loadConfig({
    SYNCLINE_DYNAMICS_URL: 'https://contoso.crm.dynamics.com/',
    SYNCLINE_DYNAMICS_TOKEN: 't0ken',
    SYNCLINE_DB: 'postgres://postgres@127.0.0.1:5432/test',
  });
  assert.equal(config.demo, false);
  assert.deepEqual(config.crm, {
    url: 'https://contoso.crm.dynamics.com',
    identities: [{ kind: 'static-token', token: 't0ken' }],
  });
  assert.equal(config.sync.intervalSeconds, 300);
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' });
});

test('bad values are rejected with CONFIG_INVALID naming each setting, and no secret is echoed', () => {
  assert.throws(
    () => loadConfig({ SYNCLINE_PORT: 'eighty', SYNCLINE_DB: 'mysql://x', SYNCLINE_LOG_LEVEL: 'loud' }),
    (error: unknown) => {
      assert.ok(error instanceof SynclineError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /SYNCLINE_PORT/);
      assert.match(error.message, /SYNCLINE_DB/);
      assert.match(error.message, /SYNCLINE_LOG_LEVEL/);
      return true;
    },
  );
  assert.throws(
    () =>
      loadConfig({
        SYNCLINE_DYNAMICS_URL: 'https://contoso.crm.dynamics.com',
        SYNCLINE_DYNAMICS_CLIENT_SECRET: 'super-secret-value',
      }),
    (error: unknown) => {
      assert.ok(error instanceof SynclineError);
      assert.match(error.message, /SYNCLINE_DYNAMICS_TENANT_ID/);
      assert.doesNotMatch(error.message, /super-secret-value/);
      return true;
    },
  );
});

const crmUrl = 'https://contoso.crm.dynamics.com';
const clientCredentials = {
  SYNCLINE_DYNAMICS_URL: crmUrl,
  SYNCLINE_DYNAMICS_TENANT_ID: 'tenant-1',
};

test('several application users: comma-separated client ids and secrets become identities, in order', () => {
  const config = loadConfig({
    ...clientCredentials,
    SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a, app-b ,app-c',
    SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a,s3cret-b,s3cret-c',
  });
  assert.deepEqual(
    config.crm?.identities.map((identity) =>
      identity.kind === 'client-credentials'
        ? [identity.tenantId, identity.clientId, identity.clientSecret]
        : undefined,
    ),
    [
      ['tenant-1', 'app-a', 's3cret-a'],
      ['tenant-1', 'app-b', 's3cret-b'],
      ['tenant-1', 'app-c', 's3cret-c'],
    ],
  );
  const tokens = loadConfig({ SYNCLINE_DYNAMICS_URL: crmUrl, SYNCLINE_DYNAMICS_TOKEN: 'tok-a,tok-b' });
  assert.deepEqual(tokens.crm?.identities, [
    { kind: 'static-token', token: 'tok-a' },
    { kind: 'static-token', token: 'tok-b' },
  ]);
});

test('lists that do not match are refused with CONFIG_IDENTITIES_INVALID, naming positions but no secret', () => {
  const refused = (env: Record<string, string>, pattern: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof SynclineError);
        assert.equal(error.code, 'CONFIG_IDENTITIES_INVALID');
        assert.match(error.message, pattern);
        for (const secret of ['s3cret-a', 's3cret-b', 'tok-a', 'tok-b']) {
          assert.doesNotMatch(error.message, new RegExp(secret));
          assert.doesNotMatch(JSON.stringify(error.details ?? {}), new RegExp(secret));
        }
        return true;
      },
    );
  refused(
    {
      ...clientCredentials,
      SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a,app-b',
      SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a',
    },
    /CLIENT_ID lists 2 .*CLIENT_SECRET 1 secret/,
  );
  refused(
    {
      ...clientCredentials,
      SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a',
      SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a,s3cret-b',
    },
    /lists 1 .* 2 secret/,
  );
  refused(
    {
      ...clientCredentials,
      SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a,,app-b',
      SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a,s3cret-b',
    },
    /CLIENT_ID has an empty entry at position 2/,
  );
  refused(
    {
      ...clientCredentials,
      SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a,app-a',
      SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a,s3cret-b',
    },
    /CLIENT_ID lists the same value at positions 1 and 2/,
  );
  refused(
    {
      ...clientCredentials,
      SYNCLINE_DYNAMICS_TENANT_ID: 'tenant-1,tenant-2',
      SYNCLINE_DYNAMICS_CLIENT_ID: 'app-a,app-b',
      SYNCLINE_DYNAMICS_CLIENT_SECRET: 's3cret-a,s3cret-b',
    },
    /TENANT_ID holds a list/,
  );
  refused(
    { SYNCLINE_DYNAMICS_URL: crmUrl, SYNCLINE_DYNAMICS_TOKEN: 'tok-a,tok-b,' },
    /TOKEN has an empty entry at position 3/,
  );
  refused(
    { SYNCLINE_DYNAMICS_URL: crmUrl, SYNCLINE_DYNAMICS_TOKEN: 'tok-b,tok-b' },
    /TOKEN lists the same value/,
  );
});

test('B2.8: the webhook secret and the public URL are optional; a short secret is refused without echoing it', () => {
  assert.deepEqual(loadConfig({}).webhooks, { secret: undefined, publicUrl: undefined });
  const config = loadConfig({
    SYNCLINE_WEBHOOK_SECRET: ' a-long-random-webhook-key ',
    SYNCLINE_PUBLIC_URL: 'https://sync.example.com/',
  });
  assert.deepEqual(config.webhooks, {
    secret: 'a-long-random-webhook-key',
    publicUrl: 'https://sync.example.com',
  });
  assert.throws(
    () => loadConfig({ SYNCLINE_WEBHOOK_SECRET: 'short-key', SYNCLINE_PUBLIC_URL: 'not a url' }),
    (error: unknown) => {
      assert.ok(error instanceof SynclineError);
      assert.match(error.message, /SYNCLINE_WEBHOOK_SECRET must be at least 16 characters/);
      assert.match(error.message, /SYNCLINE_PUBLIC_URL/);
      assert.doesNotMatch(error.message, /short-key/);
      return true;
    },
  );
});

test('B2.8: SYNCLINE_PUSH_DELAY_MS sets the push delay; 0 leaves pushing to the passes; bad values are refused', () => {
  assert.equal(loadConfig({ SYNCLINE_PUSH_DELAY_MS: '250' }).sync.pushDelayMs, 250);
  assert.equal(loadConfig({ SYNCLINE_PUSH_DELAY_MS: '0' }).sync.pushDelayMs, 0);
  for (const bad of ['-1', '1.5', 'soon']) {
    assert.throws(
      () => loadConfig({ SYNCLINE_PUSH_DELAY_MS: bad }),
      (error: unknown) => error instanceof SynclineError && /SYNCLINE_PUSH_DELAY_MS/.test(error.message),
    );
  }
});

test('B6.6: SYNCLINE_NOTIFY_* — off by default, json by default, each format accepted', () => {
  assert.equal(loadConfig({}).notify, undefined);
  assert.equal(loadConfig({ SYNCLINE_NOTIFY_FORMAT: 'slack' }).notify, undefined);
  assert.deepEqual(loadConfig({ SYNCLINE_NOTIFY_URL: 'https://hooks.example.com/in' }).notify, {
    url: 'https://hooks.example.com/in',
    secret: undefined,
    format: 'json',
  });
  for (const format of ['json', 'slack', 'teams']) {
    const notify = loadConfig({
      SYNCLINE_NOTIFY_URL: 'http://127.0.0.1:9000/hook',
      SYNCLINE_NOTIFY_SECRET: ' a-long-random-signing-key ',
      SYNCLINE_NOTIFY_FORMAT: format,
    }).notify;
    assert.deepEqual(notify, {
      url: 'http://127.0.0.1:9000/hook',
      secret: 'a-long-random-signing-key',
      format,
    });
  }
});

test('B6.6: bad notification settings are refused with CONFIG_NOTIFY_INVALID naming each, echoing no value', () => {
  const secretPath = 'T000/B000/XXXXsecretXXXX';
  const cases: [Record<string, string>, RegExp[]][] = [
    [
      { SYNCLINE_NOTIFY_URL: `ftp://hooks.slack.com/services/${secretPath}` },
      [/SYNCLINE_NOTIFY_URL must be an http\(s\) URL/],
    ],
    [
      { SYNCLINE_NOTIFY_URL: `hooks.slack.com/services/${secretPath}` },
      [/SYNCLINE_NOTIFY_URL must be an http\(s\) URL/],
    ],
    [
      { SYNCLINE_NOTIFY_URL: 'https://user:XXXXsecretXXXX@example.com/' },
      [/must not hold a user name or password/],
    ],
    [
      { SYNCLINE_NOTIFY_URL: 'https://example.com/', SYNCLINE_NOTIFY_FORMAT: `discord${secretPath}` },
      [/SYNCLINE_NOTIFY_FORMAT must be one of json, slack, teams/],
    ],
    [
      { SYNCLINE_NOTIFY_SECRET: `${secretPath}-long-enough` },
      [/SYNCLINE_NOTIFY_SECRET is set but SYNCLINE_NOTIFY_URL is not/],
    ],
    [
      { SYNCLINE_NOTIFY_URL: 'https://example.com/', SYNCLINE_NOTIFY_SECRET: 'XXXXsecretXXXX' },
      [/SYNCLINE_NOTIFY_SECRET must be at least 16 characters/],
    ],
  ];
  for (const [env, expected] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof SynclineError);
        assert.equal(error.code, 'CONFIG_NOTIFY_INVALID');
        for (const pattern of expected) assert.match(error.message, pattern);
        assert.doesNotMatch(
          JSON.stringify({ message: error.message, details: error.details }),
          /XXXXsecretXXXX/,
        );
        return true;
      },
    );
  }
});

test('SYNCLINE_LOG_FORMAT: pretty when stdout is a terminal, else json; an explicit value wins (interfaces.md §2)', () => {
  assert.equal(loadConfig({}).logFormat, 'json');
  assert.equal(loadConfig({}, { stdoutIsTty: false }).logFormat, 'json');
  assert.equal(loadConfig({}, { stdoutIsTty: true }).logFormat, 'pretty');
  assert.equal(loadConfig({ SYNCLINE_LOG_FORMAT: 'json' }, { stdoutIsTty: true }).logFormat, 'json');
  assert.equal(loadConfig({ SYNCLINE_LOG_FORMAT: 'pretty' }, { stdoutIsTty: false }).logFormat, 'pretty');
  for (const bad of ['text', 'PRETTY', 'logfmt']) {
    assert.throws(
      () => loadConfig({ SYNCLINE_LOG_FORMAT: bad }),
      (error: unknown) =>
        error instanceof SynclineError &&
        error.code === 'CONFIG_INVALID' &&
        /SYNCLINE_LOG_FORMAT must be pretty or json/.test(error.message),
      bad,
    );
  }
});

test('retention: the change feed keeps 7 days and sync errors 90 by default; fractions allowed, bad values named', () => {
  assert.deepEqual(loadConfig({}).retention, { changeFeedDays: 7, syncErrorDays: 90 });
  assert.deepEqual(
    loadConfig({ SYNCLINE_CHANGE_FEED_RETENTION_DAYS: '0', SYNCLINE_SYNC_ERROR_RETENTION_DAYS: '0.5' })
      .retention,
    { changeFeedDays: 0, syncErrorDays: 0.5 },
  );
  assert.throws(
    () => loadConfig({ SYNCLINE_CHANGE_FEED_RETENTION_DAYS: '-1', SYNCLINE_SYNC_ERROR_RETENTION_DAYS: '0' }),
    (error: unknown) =>
      error instanceof SynclineError &&
      error.code === 'CONFIG_INVALID' &&
      /SYNCLINE_CHANGE_FEED_RETENTION_DAYS must not be negative/.test(error.message) &&
      /SYNCLINE_SYNC_ERROR_RETENTION_DAYS must be more than 0 days/.test(error.message),
  );
  assert.throws(
    () => loadConfig({ SYNCLINE_CHANGE_FEED_RETENTION_DAYS: 'week' }),
    /must be a number of days/,
  );
});
