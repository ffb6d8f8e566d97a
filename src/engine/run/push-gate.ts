/**
 * Never two pushers at once (B2.8): a pass's collect-and-push stage and the immediate pusher take turns, in the
 * order they asked. Both read the marketing change feed from the one cursor and push the one outbox, so running
 * them together would mark and send the same records twice; the pass's pull is not gated (flow actions and the
 * immediate pusher may push while it applies pages: the ETags settle any race, B4.5).
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
