/**
 * One engine per database (B2.9): the hold a process takes on a database before it runs sync work (passes,
 * backfills, the campaign runner) and keeps for its lifetime. The operating system or the database server
 * releases it when the holder dies, however it dies (SIGKILL, OOM, power loss), so a supervisor's restart is
 * never refused by a ghost.
 *
 * SQLite only: a second engine on the same file is refused (`ENGINE_ALREADY_RUNNING`). On PostgreSQL replicas
 * form a cluster whose work is held through leases with fencing epochs instead (lease-table.ts).
 */
export interface EngineLock {
  /** Releases the hold; safe to call more than once. */
  release(): Promise<void>;
}

export interface EngineLockProvider {
  /** Takes the hold if no other engine has it, without waiting; undefined when another engine holds it. */
  tryAcquire(): Promise<EngineLock | undefined>;
}
