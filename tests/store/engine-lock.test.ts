import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createEngineLock } from '../../src/store/engine-lock-registry.ts';
import { createTestDatabase } from '../helpers/test-store.ts';

const registry = join(import.meta.dirname, '..', '..', 'src', 'store', 'engine-lock-registry.ts');

/** Another process that takes the engine hold on `config` and keeps it until killed. */
async function holderProcess(config: unknown): Promise<ChildProcess> {
  const code = `
    const { createEngineLock } = await import(${JSON.stringify(registry)});
    const lock = await createEngineLock(${JSON.stringify(config)}).tryAcquire();
    process.stdout.write(lock === undefined ? 'refused\\n' : 'held\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(chunk.toString().trim(), 'held');
  return child;
}

// PostgreSQL has no engine lock: its replicas form a cluster held through leases (tests/cluster/).
for (const kind of ['sqlite'] as const) {
  describe(`the engine hold on ${kind} (B2.9)`, () => {
    test('a second hold on the same database is refused until the first is released', async () => {
      await using database = await createTestDatabase(kind);
      const first = await createEngineLock(sqliteConfig(database.config)).tryAcquire();
      assert.ok(first, 'the first engine takes the hold');
      assert.equal(
        await createEngineLock(sqliteConfig(database.config)).tryAcquire(),
        undefined,
        'a second engine is refused',
      );
      await first.release();
      await first.release();
      const again = await createEngineLock(sqliteConfig(database.config)).tryAcquire();
      assert.ok(again, 'after a release the hold can be taken again');
      await again.release();
    });

    test('a hold of another database does not stand in the way', async () => {
      await using one = await createTestDatabase(kind);
      await using other = await createTestDatabase(kind);
      const first = await createEngineLock(sqliteConfig(one.config)).tryAcquire();
      const second = await createEngineLock(sqliteConfig(other.config)).tryAcquire();
      assert.ok(first && second);
      await first.release();
      await second.release();
    });

    test('a holder process killed with SIGKILL leaves no hold behind', async () => {
      await using database = await createTestDatabase(kind);
      const holder = await holderProcess(database.config);
      try {
        assert.equal(
          await createEngineLock(sqliteConfig(database.config)).tryAcquire(),
          undefined,
          'held by the other process',
        );
      } finally {
        holder.kill('SIGKILL');
        await once(holder, 'exit');
      }
      let lock;
      // The OS releases the file lock as the process ends; allow it a moment.
      for (let attempt = 0; attempt < 50 && lock === undefined; attempt += 1) {
        lock = await createEngineLock(sqliteConfig(database.config)).tryAcquire();
        if (lock === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(lock, 'the hold is free once its holder died');
      await lock.release();
    });
  });
}

function sqliteConfig(config: unknown): { kind: 'sqlite'; path: string } {
  assert.equal((config as { kind: string }).kind, 'sqlite');
  return config as { kind: 'sqlite'; path: string };
}
