import { buildPlans, type EngineDeps, type EngineSettings, type EntityPlan } from '../engine/engine.ts';
import { isSynclineError } from '../errors/syncline-error.ts';

/** How long built plans serve flow actions; a saved field selection reaches them within this time. */
const freshForMs = 2000;

/**
 * The entity plans (field mappings) flow actions write with, built one at a time and reused briefly: a burst of
 * actions (a campaign over many persons) then reads the field selection once instead of once per person, and
 * two first-ever builds never race to register the same custom person field (B5.2).
 */
export class PlanCache {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  #current: { readonly at: number; readonly plans: Promise<Map<string, EntityPlan>> } | undefined;

  constructor(deps: EngineDeps, settings: EngineSettings) {
    this.#deps = deps;
    this.#settings = settings;
  }

  plans(): Promise<Map<string, EntityPlan>> {
    const now = Date.now();
    if (this.#current === undefined || now - this.#current.at > freshForMs) {
      const plans = this.#build().catch((error: unknown) => {
        // A failed build is not cached: the next action tries again.
        if (this.#current?.plans === plans) this.#current = undefined;
        throw error;
      });
      this.#current = { at: now, plans };
    }
    return this.#current.plans;
  }

  async #build(): Promise<Map<string, EntityPlan>> {
    try {
      return await buildPlans(this.#deps, this.#settings);
    } catch (error) {
      // A pass registered the same new custom person field at the same moment: it exists now.
      if (isSynclineError(error) && error.code === 'CONFLICT') return buildPlans(this.#deps, this.#settings);
      throw error;
    }
  }
}
