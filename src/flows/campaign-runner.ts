import type { Logger } from '../logging/logger.ts';
import { initialLoadSetting } from '../engine/engine.ts';
import {
  filtersMatch,
  mayFire,
  triggerFires,
  watchedFields,
  type CampaignDefinition,
  type CampaignStep,
  type PreviousValues,
} from './campaign-definition.ts';
import { taskIdForStep } from './flow-ids.ts';
import type { FlowActions } from './flow-service.ts';
import type { Person, PersonValue } from '../domain/person.ts';
import type { Campaign, CampaignStore } from '../store/campaign-store.ts';
import type { CursorStore } from '../store/cursor-store.ts';
import type { MarkerStore } from '../store/marker-store.ts';
import type { PersonChange, PersonStore } from '../store/person-store.ts';
import type { SettingStore } from '../store/setting-store.ts';

/** The runner's own position in the marketing change feed (the engine has another, B2.4). */
export const campaignCursorName = 'flows:campaigns';
/**
 * What the runner reads and writes: the persons and their change feed, the campaigns and runs, its feed
 * position (a cursor), per person the last-seen values of watched fields (for `field-changed` `from`), a
 * `campaign-seen` marker, which goes with the person when it is deleted or merged away, and the engine's
 * initial-load setting (read only).
 */
export type CampaignRunnerStore = PersonStore & CampaignStore & MarkerStore & CursorStore & SettingStore;

const feedPage = 500;

export interface CampaignRunnerOptions {
  /** Fallback poll when no wake-up comes (writes by another process); default 1 s. */
  readonly pollMs?: number;
}

interface LoadedCampaign extends CampaignDefinition {
  readonly id: string;
  readonly createdAt: string;
}

/**
 * Runs trigger campaigns in real time (B7.5): follows the marketing change feed from its own cursor — changes
 * of every origin, so campaigns see what the sync does (a person created from the CRM, a lead qualified into a
 * contact, a record deleted in the CRM) — and for every enabled campaign whose trigger fires and whose
 * filters hold runs the steps one after the other, stopping at the first failure.
 *
 * Two of the sync's writes never fire a campaign. The creates of the initial load (B2.6) do not fire
 * `person-created` (the original's first-sync blast radius, reference §7: tens of thousands of dormant leads
 * are not new persons). And a campaign never fires on its own doing: a change the sync side committed (origin
 * `sync`, as every flow action's link or owner write is) while one of that campaign's runs for that person was
 * under way — between the run's start and end, kept in its run record — does not trigger that campaign again
 * (other campaigns still see it). The runs a crash left unfinished are closed when the runner starts, so their
 * window ends. Each run is recorded (campaign, person, per-step
 * outcome) and written to the person's activity log as `campaign.run`.
 *
 * It wakes on `wake()` — the API calls it right after a person write commits — and polls as a fallback.
 * The cursor advances after each change is handled, so a crash reruns at most one change's steps; those are
 * idempotent (the lead id is derived, a linked person is `already-synced`, task ids are derived from the
 * change). A campaign ignores changes committed before it was created, so a new "person created" campaign
 * never fires for the whole existing database (the original's first-sync blast radius, reference A, D).
 */
export class CampaignRunner {
  readonly #store: CampaignRunnerStore;
  readonly #flows: FlowActions;
  readonly #log: Logger;
  readonly #pollMs: number;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  /** When the initial load finished (B2.6), once the runner has seen it done. */
  #initialLoadDoneAt: number | undefined;
  /** No campaign watches a field and the `campaign-seen` markers were deleted; reset when one does again. */
  #seenCleared = false;

  constructor(
    store: CampaignRunnerStore,
    flows: FlowActions,
    logger: Logger,
    options: CampaignRunnerOptions = {},
  ) {
    this.#store = store;
    this.#flows = flows;
    this.#log = logger.child({ component: 'campaigns' });
    this.#pollMs = options.pollMs ?? 1000;
  }

  /** Starts the loop; may be called again after `stop` (a replica that took the campaigns' lease again, B2.9). */
  start(): void {
    this.#stopped = false;
    this.#loop ??= this.#run();
  }

  /** Waits for the change being handled to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Something was written: look at the feed now rather than at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Handles every change committed so far; returns how many it read. Tests call it to run in step. */
  async drain(): Promise<number> {
    let read = 0;
    let cursor = await this.#store.getCursor(campaignCursorName);
    for (;;) {
      const page = await this.#store.readPersonChanges(cursor, feedPage);
      if (page.items.length === 0) return read;
      read += page.items.length;
      const campaigns = await this.#enabledCampaigns();
      const watched = watchedFields(campaigns);
      await this.#boundSeenValues(watched);
      for (const change of page.items) {
        if (this.#stopped) return read;
        const ran = await this.#handle(change, campaigns, watched);
        // After steps ran, persist at once (a crash reruns at most this change); otherwise once per page.
        if (ran) await this.#store.setCursor(campaignCursorName, change.cursor);
      }
      cursor = page.items[page.items.length - 1].cursor;
      await this.#store.setCursor(campaignCursorName, cursor);
      if (page.items.length < feedPage) return read;
    }
  }

  async #run(): Promise<void> {
    try {
      const interrupted = await this.#store.interruptCampaignRuns();
      if (interrupted > 0) this.#log.warn({ runs: interrupted }, 'closed campaign runs a stop interrupted');
    } catch (error) {
      this.#log.error({ err: error }, 'closing interrupted campaign runs failed');
    }
    while (!this.#stopped) {
      this.#woken = false;
      try {
        await this.drain();
      } catch (error) {
        this.#log.error({ err: error }, 'campaign runner failed; retrying');
      }
      if (this.#stopped) break;
      if (!this.#woken) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#pollMs);
      this.#wake = done;
    });
  }

  async #enabledCampaigns(): Promise<LoadedCampaign[]> {
    const campaigns: LoadedCampaign[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.listCampaigns({ limit: 1000, cursor });
      for (const campaign of page.items) if (campaign.enabled) campaigns.push(asDefinition(campaign));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return campaigns;
  }

  /** Runs the campaigns this change triggers; true when any ran. */
  async #handle(
    change: PersonChange,
    campaigns: LoadedCampaign[],
    watched: readonly string[],
  ): Promise<boolean> {
    // A deleted person's seen values were deleted with it (the marker's foreign key cascades).
    if (change.kind === 'delete') return false;
    if (campaigns.length === 0) return false;
    const at = Date.parse(change.at);
    const candidates = campaigns.filter(
      (campaign) => at >= Date.parse(campaign.createdAt) && mayFire(campaign.trigger, change),
    );
    const touchesWatched =
      watched.length > 0 &&
      (change.kind === 'create' || change.fields.some((field) => watched.includes(field)));
    // Most of the sync's writes concern no campaign: the person is read only when one may fire or is watched.
    if (candidates.length === 0 && !touchesWatched) return false;
    const person = await this.#store.getPerson(change.personId);
    if (person === undefined) return false;
    const previous = touchesWatched && change.kind === 'update' ? await this.#seen(person.id) : undefined;
    let ran = false;
    for (const campaign of candidates) {
      if (!triggerFires(campaign.trigger, change, person.fields, previous)) continue;
      if (!filtersMatch(campaign.filters, person.fields)) continue;
      if (change.origin === 'sync' && change.kind === 'create' && !(await this.#afterInitialLoad(at)))
        continue;
      if (
        change.origin === 'sync' &&
        (await this.#store.campaignRanDuring(campaign.id, person.id, change.at))
      ) {
        this.#log.debug({ campaign: campaign.id, person: person.id }, 'change made by the campaign itself');
        continue;
      }
      await this.#runCampaign(campaign, person, change);
      ran = true;
    }
    if (touchesWatched) await this.#remember(person, watched);
    return ran;
  }

  /** Whether the initial load (B2.6) had finished when a change committed at `at`. */
  async #afterInitialLoad(at: number): Promise<boolean> {
    if (this.#initialLoadDoneAt === undefined) {
      const done = await this.#store.getSetting(initialLoadSetting);
      if (done === undefined) return false;
      this.#initialLoadDoneAt = Date.parse(done);
    }
    return at > this.#initialLoadDoneAt;
  }

  /**
   * Bounded storage: a person's seen values hold only the watched fields (each write replaces them), and
   * when no enabled campaign watches any field they are deleted, as nothing will read them again.
   */
  async #boundSeenValues(watched: readonly string[]): Promise<void> {
    if (watched.length > 0) {
      this.#seenCleared = false;
      return;
    }
    if (this.#seenCleared) return;
    const deleted = await this.#store.deleteMarkersOfKind('campaign-seen');
    if (deleted > 0) this.#log.info({ markers: deleted }, 'no campaign watches a field: seen values deleted');
    this.#seenCleared = true;
  }

  async #runCampaign(campaign: LoadedCampaign, person: Person, change: PersonChange): Promise<void> {
    const run = await this.#store.startCampaignRun(campaign.id, person.id);
    const results: Record<string, unknown>[] = [];
    let error: string | null = null;
    for (const [index, step] of campaign.steps.entries()) {
      try {
        const outcome = await this.#runStep(
          step,
          person.id,
          taskIdForStep(campaign.id, change.cursor, index),
        );
        results.push({ step: index, action: step.action, status: 'succeeded', outcome });
      } catch (failure) {
        const { code, message } = describe(failure);
        results.push({ step: index, action: step.action, status: 'failed', code, message });
        error = `Step ${index + 1} (${step.action}) failed: ${message}`;
        if (code === 'INTERNAL')
          this.#log.error({ err: failure, campaign: campaign.id }, 'campaign step crashed');
        break;
      }
    }
    const status = error === null ? 'succeeded' : 'failed';
    await this.#store.finishCampaignRun(run.id, { status, results, error });
    await this.#store.appendActivity(person.id, 'campaign.run', {
      campaignId: campaign.id,
      campaignName: campaign.name,
      runId: run.id,
      status,
      steps: results,
    });
  }

  #runStep(step: CampaignStep, personId: string, taskId: string): Promise<unknown> {
    switch (step.action) {
      case 'sync-to-crm':
        return this.#flows.syncToCrm(personId, {
          syncAs: step.syncAs,
          ...(step.ownerId === undefined ? {} : { ownerId: step.ownerId }),
        });
      case 'change-owner':
        return this.#flows.changeOwner(personId, { ownerId: step.ownerId });
      case 'create-task':
        return this.#flows.createTask(personId, { ...step, taskId });
    }
  }

  async #seen(personId: string): Promise<PreviousValues> {
    const stored = await this.#store.getMarker(personId, 'campaign-seen');
    return stored === undefined ? undefined : (JSON.parse(stored) as Record<string, PersonValue>);
  }

  async #remember(person: Person, watched: readonly string[]): Promise<void> {
    const values = Object.fromEntries(watched.map((field) => [field, person.fields[field] ?? null]));
    // False when the person was deleted meanwhile: nothing to remember then.
    await this.#store.setMarker(person.id, 'campaign-seen', JSON.stringify(values));
  }
}

function asDefinition(campaign: Campaign): LoadedCampaign {
  return {
    id: campaign.id,
    createdAt: campaign.createdAt,
    name: campaign.name,
    enabled: campaign.enabled,
    // Validated by the API before it was stored (validateCampaign).
    trigger: campaign.trigger as unknown as CampaignDefinition['trigger'],
    filters: campaign.filters as unknown as CampaignDefinition['filters'],
    steps: campaign.steps as unknown as CampaignDefinition['steps'],
  };
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string')
    return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
