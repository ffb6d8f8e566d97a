import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { EngineLock, EngineLockProvider } from '../engine-lock.ts';

/**
 * The engine hold on an SQLite database: an exclusive transaction on a sidecar file (`<db>.engine-lock`),
 * kept open for the engine's lifetime.
 *
 * Why a sidecar SQLite file: the hold must vanish when its process dies, so it has to be an OS lock, not a
 * row or a pid file (a pid file outlives a SIGKILL and needs staleness guesses). Node has no `flock`, and
 * native lock addons cannot be built for Node 24 here; SQLite's own POSIX locks, through the built-in
 * node:sqlite, are exactly that, and SQLite also keeps two connections of one process apart. Not the main
 * database file: an exclusive lock there would block every reader and writer of the API.
 */
export function sqliteEngineLock(path: string): EngineLockProvider {
  return {
    async tryAcquire() {
      // An in-memory database belongs to one connection of one process: no other engine can reach it.
      if (path === ':memory:') return heldLock(undefined);
      const file = `${resolve(path)}.engine-lock`;
      mkdirSync(dirname(file), { recursive: true });
      const database = new DatabaseSync(file);
      try {
        // busy_timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
        database.exec('pragma busy_timeout = 0; pragma locking_mode = exclusive; begin exclusive');
      } catch (error) {
        database.close();
        if (isBusy(error)) return undefined;
        throw error;
      }
      return heldLock(database);
    },
  };
}

function heldLock(database: DatabaseSync | undefined): EngineLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      database?.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number; code?: string }).errcode;
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), also as extended codes.
  return (code !== undefined && [5, 6].includes(code & 0xff)) || /database is locked/i.test(String(error));
}
