import type { Logger } from '../logging/logger.ts';

interface Component {
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * What a process has opened, in opening order, so that one `close()` stops it newest first: the API before the
 * sync, the sync (at a safe boundary, B2.4) before the connector and the emulator, the store last, because
 * everything above it may still write while it stops.
 */
export class ShutdownStack {
  readonly #components: Component[] = [];
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers a component right after it opened; `stop` must be safe to call once whatever state it is in. */
  push(name: string, stop: () => Promise<void>): void {
    if (this.#closing !== undefined) throw new Error(`'${name}' opened after the shutdown began`);
    this.#components.push({ name, stop });
  }

  /** Stops every component, newest first; safe to call more than once (later calls wait for the first). */
  close(): Promise<void> {
    return (this.#closing ??= this.#stopAll());
  }

  async #stopAll(): Promise<void> {
    for (const component of this.#components.reverse()) {
      try {
        await component.stop();
      } catch (error) {
        // Keep stopping the rest: a failed close must not leave the database connection open.
        this.#logger.error({ err: error, component: component.name }, 'component failed to stop');
      }
    }
  }
}
