import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { postgresMigrations } from '../../src/store/postgres/postgres-migrations.ts';
import { createStore } from '../../src/store/registry.ts';
import { sqliteMigrations } from '../../src/store/sqlite/sqlite-migrations.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, executeRaw, openTestStore, storeKinds } from '../helpers/test-store.ts';
import { buildTestServer } from './support/test-server.ts';

// GET /ready (interfaces.md §4) over a real socket: 200 only while the database answers and is migrated.

interface Answer {
  readonly status: number;
  readonly body: { status?: string; migration?: string | null; error?: { code: string; message: string } };
}

async function listening(store: Store): Promise<{ app: ApiApp; ready: () => Promise<Answer> }> {
  const app = await buildTestServer(store);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const ready = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/ready`);
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  return { app, ready };
}

const migrationsOf = { sqlite: sqliteMigrations, postgres: postgresMigrations } as const;

for (const kind of storeKinds) {
  const names = Object.keys(migrationsOf[kind]).sort();

  describe(`GET /ready on ${kind}`, () => {
    test('a migrated database: 200 ready with the newest migration, no key needed', async () => {
      await using opened = await openTestStore(kind);
      const { app, ready } = await listening(opened.store);
      try {
        assert.deepEqual(await ready(), { status: 200, body: { status: 'ready', migration: names.at(-1) } });
      } finally {
        await app.close();
      }
    });

    test('a database no migrate ran on: 503 MIGRATIONS_PENDING naming them, then 200 once migrated', async () => {
      await using database = await createTestDatabase(kind);
      const store = await createStore(database.config, silentLogger());
      const { app, ready } = await listening(store);
      try {
        const before = await ready();
        assert.equal(before.status, 503);
        assert.equal(before.body.error?.code, 'MIGRATIONS_PENDING');
        assert.deepEqual((before.body.error as { details?: unknown }).details, { pending: names });
        await store.migrate();
        assert.equal((await ready()).status, 200);
      } finally {
        await app.close();
        await store.close();
      }
    });

    test('read live on every probe: a migration missing from the record turns it to 503 at once', async () => {
      await using opened = await openTestStore(kind);
      const { app, ready } = await listening(opened.store);
      try {
        assert.equal((await ready()).status, 200);
        await executeRaw(opened.database, [`delete from syncline_migration where name = '${names.at(-1)}'`]);
        const after = await ready();
        assert.equal(after.status, 503);
        assert.deepEqual((after.body.error as { details?: unknown }).details, { pending: [names.at(-1)] });
      } finally {
        await app.close();
      }
    });

    test('a closed store: 503 STORE_UNAVAILABLE', async () => {
      await using opened = await openTestStore(kind);
      const { app, ready } = await listening(opened.store);
      try {
        await opened.store.close();
        const answer = await ready();
        assert.equal(answer.status, 503);
        assert.equal(answer.body.error?.code, 'STORE_UNAVAILABLE');
      } finally {
        await app.close();
      }
    });
  });
}

describe('GET /ready when PostgreSQL cannot be reached', () => {
  test('nothing listens on the port: 503 STORE_UNAVAILABLE, without the host or port in the answer', async () => {
    const port = await freePort();
    const store = await createStore(
      { kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test` },
      silentLogger(),
    );
    const { app, ready } = await listening(store);
    try {
      const answer = await ready();
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error?.code, 'STORE_UNAVAILABLE');
      assert.ok(!JSON.stringify(answer.body).includes(String(port)), JSON.stringify(answer.body));
    } finally {
      await app.close();
      await store.close();
    }
  });

  test('a server that accepts and never answers: 503 within the probe timeout, not a hung probe', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = await createStore(
      { kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/test` },
      silentLogger(),
    );
    const { app, ready } = await listening(store);
    try {
      const started = performance.now();
      const answer = await ready();
      const elapsed = performance.now() - started;
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error?.code, 'STORE_UNAVAILABLE');
      // The pool's own connection timeout is 10 s; the readiness check gives up at 5 s.
      assert.ok(elapsed < 8_000, `answered after ${Math.round(elapsed)} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeServer(silent);
      await app.close();
      await store.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
