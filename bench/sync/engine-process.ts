import { fork, type ChildProcess } from 'node:child_process';
import { engineHeapFlags } from '../../src/runtime/engine-heap.ts';
import { once } from 'node:events';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { PassMeasurement, WorkerReply, WorkerRequest } from './worker-protocol.ts';

type Reply<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>;

/** The harness's handle on the engine process (`engine-worker.ts`). */
export class EngineProcess {
  readonly #child: ChildProcess;
  #exited = false;
  /** The update path the engine's first connect chose per entity (B4.5): `bulk` or `batch`. */
  writePaths: Readonly<Record<string, string>> = {};

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.once('exit', () => {
      this.#exited = true;
    });
  }

  /** Starts a fresh engine process on the database (migrated there) against the CRM at `url`. */
  static async open(
    database: DatabaseConfig,
    url: string,
    nodeOptions: string[] = [],
    tokens?: readonly string[],
    options: { freshProbe?: boolean } = {},
  ): Promise<EngineProcess> {
    const child = fork(new URL('engine-worker.ts', import.meta.url).pathname, [], {
      // The engine runs with the heap limits `syncline start` gives it (bin/syncline.js), as shipped.
      execArgv: [...process.execArgv, ...engineHeapFlags, ...nodeOptions],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const engine = new EngineProcess(child);
    const opened = await engine.#request(
      { type: 'open', database, url, tokens, freshProbe: options.freshProbe },
      'opened',
    );
    engine.writePaths = opened.writePaths;
    return engine;
  }

  describe(): Promise<Reply<'described'>> {
    return this.#request({ type: 'describe' }, 'described');
  }

  /** One pass; with a budget it may end `aborted` (stopped at a page boundary), never `failed`. */
  async pass(budgetMs?: number): Promise<PassMeasurement> {
    const { pass } = await this.#request({ type: 'pass', budgetMs }, 'pass');
    const acceptable = pass.status === 'succeeded' || (budgetMs !== undefined && pass.status === 'aborted');
    if (!acceptable) throw new Error(`the engine's pass ${pass.status}: ${pass.error}`);
    return pass;
  }

  async editPersons(count: number, tag: string): Promise<number> {
    return (await this.#request({ type: 'edit-persons', count, tag }, 'edited')).edited;
  }

  /** Closes the engine and returns the process's peak RSS in bytes. */
  async close(): Promise<number> {
    const exited = this.#exited ? Promise.resolve() : once(this.#child, 'exit');
    const { maxRssBytes } = await this.#request({ type: 'close' }, 'closed');
    await exited;
    return maxRssBytes;
  }

  /** Ends the process without waiting for the engine (after a failure). */
  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }

  async #request<T extends WorkerReply['type']>(request: WorkerRequest, expected: T): Promise<Reply<T>> {
    if (this.#exited) throw new Error('the engine process has exited');
    const answer = new Promise<WorkerReply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the engine process exited (${code})`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (reply: WorkerReply) => {
        this.#child.off('exit', onExit);
        resolve(reply);
      });
    });
    this.#child.send(request);
    const reply = await answer;
    if (reply.type === 'failed') throw new Error(`engine process: ${reply.message}`);
    if (reply.type !== expected) throw new Error(`engine process answered ${reply.type}, not ${expected}`);
    return reply as Reply<T>;
  }
}
