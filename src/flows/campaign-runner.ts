import type { Logger } from '../logging/logger.ts';
import {
  filtersMatch,
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

/** The runner's own position in the marketing change feed (the engine has another, B2.4). */
export const campaignCursorName = 'flows:campaigns';
/**
 * What the runner reads and writes: the persons and their change feed, the campaigns and runs, its feed
 * position (a cursor) and per person the last-seen values of watched fields (for `field-changed` `from`), a
 * `campaign-seen` marker, which goes with the person when it is deleted or merged away.
 */
export type CampaignRunnerStore = PersonStore & CampaignStore & MarkerStore & CursorStore;

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
 * Runs trigger campaigns in real time (B7.5): follows the marketing change feed from its own cursor, skips the
 * sync's writes (B4.4), and for every enabled campaign whose trigger fires and whose filters hold runs the
 * steps one after the other, stopping at the first failure. Each run is recorded (campaign, person, per-step
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
      for (const change of page.items) {
        if (this.#stopped) return read;
        const ran = change.origin !== 'sync' && (await this.#handle(change, campaigns, watched));
        // After steps ran, persist at once (a crash reruns at most this change); otherwise once per page.
        if (ran) await this.#store.setCursor(campaignCursorName, change.cursor);
      }
      cursor = page.items[page.items.length - 1].cursor;
      await this.#store.setCursor(campaignCursorName, cursor);
      if (page.items.length < feedPage) return read;
    }
  }

  async #run(): Promise<void> {
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
    const touchesWatched = change.kind === 'create' || change.fields.some((field) => watched.includes(field));
    const person = await this.#store.getPerson(change.personId);
    if (person === undefined) return false;
    const previous = touchesWatched && change.kind === 'update' ? await this.#seen(person.id) : undefined;
    let ran = false;
    for (const campaign of campaigns) {
      if (Date.parse(change.at) < Date.parse(campaign.createdAt)) continue;
      if (!triggerFires(campaign.trigger, change, person.fields, previous)) continue;
      if (!filtersMatch(campaign.filters, person.fields)) continue;
      await this.#runCampaign(campaign, person, change);
      ran = true;
    }
    if (touchesWatched && watched.length > 0) await this.#remember(person, watched);
    return ran;
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
