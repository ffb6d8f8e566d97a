/**
 * One engine per database (B2.9): the hold a process takes on a database before it runs sync work (passes,
 * backfills, the campaign runner) and keeps for its lifetime. The operating system or the database server
 * releases it when the holder dies, however it dies (SIGKILL, OOM, power loss), so a supervisor's restart is
 * never refused by a ghost.
 *
 * SQLite: a second engine on the same file is refused (`ENGINE_ALREADY_RUNNING`). PostgreSQL: the same hold
 * through a session advisory lock for now; the cluster (leases with fencing epochs, B2.9) replaces it behind
 * this port.
 */
export interface EngineLock {
  /** Releases the hold; safe to call more than once. */
  release(): Promise<void>;
  /**
   * Called at most once if the hold is lost while held (PostgreSQL: the lock's connection failed). The holder
   * must stop its sync work: another engine may take the database over.
   */
  onLost(listener: (reason: string) => void): void;
}

export interface EngineLockProvider {
  /** Takes the hold if no other engine has it, without waiting; undefined when another engine holds it. */
  tryAcquire(): Promise<EngineLock | undefined>;
}
