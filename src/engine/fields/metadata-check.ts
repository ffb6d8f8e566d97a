import { isCrmError } from '../../connectors/crm-error.ts';
import { isPersonEntity, type SyncEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps } from '../engine-deps.ts';
import { buildEntityPlan, type EntityPlan } from './entity-plan.ts';
import { refreshChangedMetadata } from './metadata-refresh.ts';

/** When the CRM's metadata was last checked (durable and shared, so any engine of a cluster knows). */
export const metadataCheckedSetting = 'sync:metadata-checked-at';

/**
 * A pass's check of the CRM's metadata (issue 16 item 8, B5.6), taken when the pass first needs it: before the
 * first CRM record it maps and before the first marketing change it pushes, which are the only places a new
 * option label or a changed type can make a value wrong. An idle pass moves no value, so it asks nothing
 * (issue 17's S6: one request per entity) unless the last check is older than `metadataCheckSeconds`, so the
 * stored field catalog (the fields page, quarantines) follows the CRM even while nothing syncs.
 *
 * The first check of a process (no version stamp yet, or one for other entities) starts over: it forgets every
 * cached description, so it is taken at the pass's start, before the plans read any (`beforePlans`), or the pass
 * would read every entity's metadata twice. Otherwise the plans are built from the metadata cached before the
 * check; `ensure` re-plans the entities that changed in the pass's map (`usePlans`) and answers their names, so
 * a holder of a copy can take them over.
 */
export class MetadataCheck {
  readonly #deps: EngineDeps;
  readonly #entities: readonly SyncEntity[];
  #plans = new Map<string, EntityPlan>();
  #checked: Promise<readonly string[]> | undefined;

  constructor(deps: EngineDeps, entities: readonly SyncEntity[]) {
    this.#deps = deps;
    this.#entities = entities;
  }

  /** At the pass's start: a check that would start over is taken now, before any metadata is read. */
  async beforePlans(): Promise<void> {
    const names = this.#entities.map((entity) => entity.name);
    if (!this.#deps.crm.metadataCheckIsIncremental(names)) await this.ensure();
  }

  /** The pass's plans, which `ensure` keeps in line with what changed. */
  usePlans(plans: Map<string, EntityPlan>): void {
    this.#plans = plans;
  }

  /** Checks once per pass; later calls answer the same entities without asking again. */
  ensure(): Promise<readonly string[]> {
    this.#checked ??= this.#check();
    return this.#checked;
  }

  /** At the end of an idle pass: checks when the last check is older than `maxAgeSeconds`. */
  async ensureIfOlderThan(maxAgeSeconds: number): Promise<void> {
    if (this.#checked !== undefined) return;
    const last = await this.#deps.store.getSetting(metadataCheckedSetting);
    const age = last === undefined ? Infinity : this.#deps.now().getTime() - Date.parse(last);
    if (!(age < maxAgeSeconds * 1000)) await this.ensure();
  }

  async #check(): Promise<readonly string[]> {
    const changed = await refreshChangedMetadata(this.#deps, this.#entities);
    for (const name of changed) {
      const plan = this.#plans.get(name);
      if (plan === undefined) continue;
      // The connector forgot the entity's cached description; the catalog now holds any quarantine (B5.6).
      const description = await this.#deps.crm.describeEntity(name).catch((error: unknown) => {
        // A custom entity deleted meanwhile keeps its plan: its reads fail this pass, the next skips it.
        if (isCrmError(error) && error.reason === 'unknown-entity' && !isPersonEntity(name)) return undefined;
        throw error;
      });
      if (description === undefined) continue;
      this.#plans.set(
        name,
        buildEntityPlan(plan.entity, description, await this.#deps.store.listSyncFields(name)),
      );
    }
    await this.#deps.store.setSetting(metadataCheckedSetting, this.#deps.now().toISOString());
    return changed;
  }
}
