import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.ts';
import { readImageSpec, repositoryRoot } from './dockerfile-image.ts';

// compose.yaml (issue 15, item 5): PostgreSQL, two replicas on one database and the emulator. No Docker daemon
// runs here, so this checks what can be checked without one: the services, their health checks and order, and
// that each replica's environment is a configuration Syncline accepts, aimed at the emulator and PostgreSQL.

interface Service {
  readonly build?: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly ports?: readonly string[];
  readonly healthcheck?: { readonly test?: readonly string[] };
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
}

const text = readFileSync(new URL('compose.yaml', `file://${repositoryRoot}`), 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`); the file uses them for what the replicas share.
const compose = parse(text, { merge: true }) as { services: Readonly<Record<string, Service>> };
const { services } = compose;
const replicas = ['syncline-1', 'syncline-2'] as const;

/** Compose's own interpolation: `${NAME:-default}` and `${NAME:?message}` (a value the operator must give). */
function interpolate(value: string, given: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_whole, name: string, kind, rest: string) => {
    if (given[name] !== undefined) return given[name];
    if (kind === '-') return rest;
    throw new Error(`${name} must be set: ${rest}`);
  });
}

test('compose.yaml has PostgreSQL, the emulator and two replicas, each with a health check', () => {
  assert.deepEqual(Object.keys(services).sort(), ['emulator', 'postgres', ...replicas].sort());
  for (const [name, service] of Object.entries(services)) {
    assert.ok((service.healthcheck?.test?.length ?? 0) > 1, `${name} has no health check`);
  }
  assert.match(services.postgres!.image ?? '', /^postgres:\d+/);
  assert.ok(services.postgres!.healthcheck!.test!.includes('pg_isready'));
});

test('the replicas start once PostgreSQL and the emulator are healthy, and report ready through GET /ready', () => {
  const port = readImageSpec().env.SYNCLINE_PORT;
  for (const name of replicas) {
    const replica = services[name]!;
    assert.equal(replica.build, '.', `${name} runs the image of this repository's Dockerfile`);
    assert.deepEqual(replica.depends_on, {
      postgres: { condition: 'service_healthy' },
      emulator: { condition: 'service_healthy' },
    });
    assert.match(replica.healthcheck!.test!.join(' '), new RegExp(`127\\.0\\.0\\.1:${port}/ready\\b`));
    assert.ok(
      replica.ports?.some((mapping) => mapping.endsWith(`:${port}`)),
      `${name} publishes ${port}`,
    );
  }
});

test('each replica’s environment is a valid configuration: one PostgreSQL database, the emulator, two users', () => {
  const given = { SYNCLINE_API_KEY: 'a-key-the-operator-chose-0123456789' };
  const emulatorCommand = services.emulator!.command!;
  assert.equal(emulatorCommand[0], 'emulator', 'the emulator service runs `syncline emulator`');
  const option = (flag: string) => emulatorCommand[emulatorCommand.indexOf(flag) + 1];
  assert.equal(option('--host'), '0.0.0.0', 'the emulator listens beyond its container');

  const configs = replicas.map((name) => {
    const environment = Object.fromEntries(
      Object.entries(services[name]!.environment!).map(([key, value]) => [key, interpolate(value, given)]),
    );
    for (const key of Object.keys(environment).filter((k) => k.startsWith('SYNCLINE_'))) {
      assert.ok(readme.includes(key), `${key} (${name}) is not in the README`);
    }
    return { environment, config: loadConfig(environment) };
  });
  for (const { config } of configs) {
    assert.equal(config.database.kind, 'postgres');
    assert.equal(config.demo, false, 'a replica syncs with the emulator service, not an embedded one');
    const crm = new URL(config.crm!.url);
    assert.equal(crm.hostname, 'emulator');
    assert.equal(crm.port, option('--port'));
    // The replicas authenticate as the emulator's application users, one token each.
    assert.deepEqual(
      config.crm!.identities.map((identity) => (identity.kind === 'static-token' ? identity.token : '')),
      option('--token')!.split(','),
    );
  }
  const [first, second] = configs;
  assert.deepEqual(first!.config.database, second!.config.database, 'one database for both replicas');
  assert.equal(new URL((first!.config.database as { url: string }).url).hostname, 'postgres');
  assert.notEqual(first!.environment.SYNCLINE_REPLICA_ID, second!.environment.SYNCLINE_REPLICA_ID);
  assert.throws(() => interpolate(services['syncline-1']!.environment!.SYNCLINE_API_KEY!, {}), /must be set/);
});

const readme = readFileSync(new URL('README.md', `file://${repositoryRoot}`), 'utf8');
