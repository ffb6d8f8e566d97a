/**
 * Never two pushers at once (B2.8): a pass's collect-and-push stage and the immediate pusher take turns, in the
 * order they asked. Both read the marketing change feed from the one cursor and push the one outbox, so running
 * them together would mark and send the same records twice. The pass's pull applies each page in a turn too
 * (never between a push's CRM write and the recording of its answer, or a CRM edit made after the push landed
 * looks like a collision against the old base); its reads from the CRM are not gated. Flow actions push one
 * record outside the gate (they may run in another process).
 */
export class PushGate {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier turn has ended (however it ended); resolves or rejects as `fn` does. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(fn);
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}
