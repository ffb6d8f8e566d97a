import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { faultsOff, type FaultSettings } from './limits-settings.ts';

/**
 * Seeded fault decisions, so a failing run can be replayed with the same seed and the same request order.
 * A decision draws from the generator only when its fault is on.
 */
export class FaultPlan {
  #settings: FaultSettings = faultsOff;
  #random = xoroshiro128plus(0);

  configure(settings: FaultSettings): void {
    this.#settings = settings;
    this.#random = xoroshiro128plus(settings.seed);
  }

  get settings(): FaultSettings {
    return this.#settings;
  }

  #roll(rate: number): boolean {
    return rate > 0 && uniformFloat64(this.#random) < rate;
  }

  /** Fail this request with a 5xx before executing it. */
  failBeforeExecuting(): boolean {
    return this.#roll(this.#settings.http5xxRate);
  }

  /** Destroy the connection after this request's writes were committed. */
  dropAfterCommit(): boolean {
    return this.#roll(this.#settings.dropAfterCommitRate);
  }

  /** Extra delay for this response: `latencyMs` plus a uniform share of `latencyJitterMs`. */
  latencyMs(): number {
    const { latencyMs, latencyJitterMs } = this.#settings;
    return latencyMs + (latencyJitterMs > 0 ? uniformFloat64(this.#random) * latencyJitterMs : 0);
  }
}
