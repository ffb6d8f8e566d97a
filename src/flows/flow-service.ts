import { rereadRecord, resolveOwner, type EngineDeps, type EngineSettings } from '../engine/engine.ts';
import { CrmError } from '../connectors/crm-error.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import { requireAccepted } from './flow-failure.ts';
import { taskIdForRequest } from './flow-ids.ts';
import { KeyedLock } from './keyed-lock.ts';
import { PlanCache } from './plan-cache.ts';
import {
  syncPersonToCrm,
  type FlowContext,
  type SyncToCrmInput,
  type SyncToCrmResult,
} from './sync-person.ts';
import type { Person } from '../domain/person.ts';
import type { CrmLink, LinkedEntity } from '../store/link-store.ts';

export type { SyncToCrmInput, SyncToCrmResult } from './sync-person.ts';

export interface ChangeOwnerInput {
  readonly ownerId: string;
}

export interface ChangeOwnerResult {
  readonly status: 'assigned';
  readonly crmType: LinkedEntity;
  readonly crmId: string;
  readonly ownerId: string;
  readonly ownerType: 'systemuser' | 'team';
  /** True when the person was synced to the CRM first (B7.6). */
  readonly synced: boolean;
}

export interface CreateTaskInput {
  readonly subject: string;
  readonly description?: string;
  /** Days from now until the task is due (default 5, as the original). */
  readonly dueInDays?: number;
  /** Client-chosen task id, so a rerun makes no second task (campaign steps derive one). */
  readonly taskId?: string;
}

export interface CreateTaskResult {
  readonly status: 'created';
  readonly taskId: string;
  readonly crmType: LinkedEntity;
  readonly crmId: string;
  readonly dueDate: string;
}

export interface FlowActionStats {
  /** CRM writes made by flow actions (not by passes) in the last hour / 24 hours. */
  readonly syncedLastHour: number;
  readonly syncedLast24h: number;
}

/** What the API and the campaign runner ask of the flow actions (interfaces.md §4 "Flow actions"). */
export interface FlowActions {
  /** B7.1–B7.4. NOT_FOUND for an unknown person; 422 CRM_REJECTED / VALUE_NOT_ACCEPTED when refused. */
  syncToCrm(personId: string, input: SyncToCrmInput): Promise<SyncToCrmResult>;
  /** B7.6: syncs the person as a lead first when it is not linked, then assigns. */
  changeOwner(personId: string, input: ChangeOwnerInput): Promise<ChangeOwnerResult>;
  /** B7.6: a task regarding the person's lead or contact; PERSON_NOT_SYNCED when there is none. */
  createTask(personId: string, input: CreateTaskInput): Promise<CreateTaskResult>;
  stats(): Promise<FlowActionStats>;
}

/** Throughput bucket of flow actions in the store's synced counts (B6.5: separate from passes). */
export const flowActionCounter = 'flow-action';

const defaultDueInDays = 5;
const dayMs = 86_400_000;
const hourMs = 3_600_000;

/**
 * The flow actions (B7). Independent of the background sync (B7.4, B8.1): they talk to the CRM through the
 * same connector but never wait for, or are stopped by, a pass. One person's actions run one at a time in this
 * process (B7.2); across processes the derived record ids keep creates single.
 */
export class FlowService implements FlowActions {
  readonly #context: FlowContext;
  readonly #lock = new KeyedLock();

  constructor(deps: EngineDeps, settings: EngineSettings) {
    const cache = new PlanCache(deps, settings);
    this.#context = { deps, settings, plans: () => cache.plans() };
  }

  syncToCrm(personId: string, input: SyncToCrmInput): Promise<SyncToCrmResult> {
    return this.#withPerson(personId, async (person) => {
      const result = await syncPersonToCrm(this.#context, person, input);
      if (result.status === 'created') await this.#count(result.crmType);
      return result;
    });
  }

  changeOwner(personId: string, input: ChangeOwnerInput): Promise<ChangeOwnerResult> {
    return this.#withPerson(personId, async (person) => {
      const { deps } = this.#context;
      const owner = await resolveOwner(deps, input.ownerId);
      let link = await activeLink(this.#context, person.id);
      if (link === undefined) {
        // B7.6: "If the record does not yet exist … we will sync it over, then assign it" — created with the owner.
        const synced = await syncPersonToCrm(this.#context, person, { syncAs: 'lead', ownerId: owner.id });
        await this.#count(synced.crmType);
        await deps.store.appendActivity(person.id, 'crm.owner-changed', {
          from: null,
          to: owner.id,
          ownerType: owner.entity,
          source: 'flow',
        });
        return {
          status: 'assigned',
          ...pick(synced),
          ownerId: owner.id,
          ownerType: owner.entity,
          synced: true,
        };
      }
      link = requireActive(link);
      const outcome = await deps.crm.assignOwner(link.entity, link.crmId, owner);
      const failure = { ...failureOf(link, person), operation: 'assign' };
      await requireAccepted(deps.store, outcome, failure, `assigning ${link.entity} ${link.crmId}`);
      const from = person.fields.crmOwnerId ?? null;
      await deps.store.withTransaction(async (tx) => {
        await tx.updatePerson(
          person.id,
          { crmOwnerId: owner.id, crmOwnerName: owner.name, crmOwnerEmail: owner.email },
          'sync',
        );
        if (from !== owner.id) {
          await tx.appendActivity(person.id, 'crm.owner-changed', {
            from,
            to: owner.id,
            ownerType: owner.entity,
            source: 'flow',
          });
        }
      });
      // B2.8, B4.4: the record is read back and applied with the pass's rules, so the link holds the version
      // the assign made. A pass's page read before the assign (the old owner) is then older and skipped;
      // applied, it set the old owner back until the next pass, logged two owner changes and fired the
      // person's "owner changed" campaigns again (a CI run under load). The merge also takes in any edit made
      // between the assign and this read, and the next push's If-Match is that version (B4.5).
      const { plans, settings } = this.#context;
      try {
        await rereadRecord(deps, { plans: await plans(), settings }, link.entity, link.crmId);
      } catch (error) {
        // The owner is assigned and stored: a read-back the CRM does not answer leaves it to the next pass.
        if (!(error instanceof CrmError)) throw error;
        deps.logger.warn(
          { entity: link.entity, crmId: link.crmId, code: error.code },
          'the record could not be read back after Change Owner; the next pass brings it',
        );
      }
      await this.#count(link.entity);
      return {
        status: 'assigned',
        crmType: link.entity,
        crmId: link.crmId,
        ownerId: owner.id,
        ownerType: owner.entity,
        synced: false,
      };
    });
  }

  createTask(personId: string, input: CreateTaskInput): Promise<CreateTaskResult> {
    return this.#withPerson(personId, async (person) => {
      const { deps } = this.#context;
      const found = await activeLink(this.#context, person.id);
      if (found === undefined) {
        throw new SynclineError(
          'PERSON_NOT_SYNCED',
          `Person ${person.id} is not linked to a CRM lead or contact; run Sync Person to Microsoft first (B7.6).`,
          { details: { personId: person.id } },
        );
      }
      const link = requireActive(found);
      let dueDate = new Date(deps.now().getTime() + (input.dueInDays ?? defaultDueInDays) * dayMs)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      // B7.2: never a random id — a retried call must meet the task its first attempt made.
      const taskId =
        input.taskId ??
        taskIdForRequest(
          person.id,
          { entity: link.entity, crmId: link.crmId },
          { subject: input.subject, description: input.description, dueDay: dueDate.slice(0, 10) },
        );
      const outcome = await deps.crm.createTask({
        id: taskId,
        subject: input.subject,
        ...(input.description === undefined ? {} : { description: input.description }),
        dueDate,
        regarding: { entity: link.entity, id: link.crmId },
      });
      const failure = { ...failureOf(link, person), operation: 'create-task' };
      const what = `creating a task regarding ${link.entity} ${link.crmId}`;
      await requireAccepted(deps.store, outcome, failure, what, ['ok', 'already-exists']);
      if (outcome.status === 'already-exists') {
        // A retry (or our own re-sent create whose answer was lost): answer the task that exists, log it once.
        dueDate = (await existingDueDate(deps, taskId)) ?? dueDate;
        if (await taskLogged(deps, person.id, taskId)) {
          return { status: 'created', taskId, crmType: link.entity, crmId: link.crmId, dueDate };
        }
      }
      await deps.store.appendActivity(person.id, 'crm.task-created', {
        taskId,
        subject: input.subject,
        dueDate,
        entity: link.entity,
        crmId: link.crmId,
      });
      await deps.store.addSyncedCount(flowActionCounter, 'toCrm', 1);
      return { status: 'created', taskId, crmType: link.entity, crmId: link.crmId, dueDate };
    });
  }

  async stats(): Promise<FlowActionStats> {
    const { store, now } = this.#context.deps;
    const since = (ms: number) => new Date(now().getTime() - ms).toISOString();
    return {
      syncedLastHour: await store.countSynced(flowActionCounter, 'toCrm', since(hourMs)),
      syncedLast24h: await store.countSynced(flowActionCounter, 'toCrm', since(24 * hourMs)),
    };
  }

  /** Resolves merged ids (B3.5) and runs `action` under the person's lock (B7.2). */
  async #withPerson<T>(personId: string, action: (person: Person) => Promise<T>): Promise<T> {
    const { store } = this.#context.deps;
    const id = await store.resolvePersonId(personId);
    if (id === undefined) throw personNotFound(personId);
    return this.#lock.run(id, async () => {
      const person = await store.getPerson(id);
      if (person === undefined) throw personNotFound(personId);
      return action(person);
    });
  }

  /** A flow action's CRM write counts toward the entity's throughput and the flow-action counter (B6.5). */
  async #count(entity: LinkedEntity): Promise<void> {
    const { store } = this.#context.deps;
    await store.addSyncedCount(entity, 'toCrm', 1);
    await store.addSyncedCount(flowActionCounter, 'toCrm', 1);
  }
}

/** The person's current link: active, else excluded or deleted (which the actions refuse). */
async function activeLink(context: FlowContext, personId: string): Promise<CrmLink | undefined> {
  const links = await context.deps.store.listLinksOfPerson(personId);
  return (
    links.find((link) => link.state === 'active') ??
    links.find((link) => link.state === 'excluded' || link.state === 'deleted')
  );
}

/** The due date of a task that exists already (a retried Create Task), as the CRM keeps it. */
async function existingDueDate(deps: EngineDeps, taskId: string): Promise<string | undefined> {
  try {
    const task = await deps.crm.retrieve('task', taskId, ['scheduledend']);
    const due = task?.values.scheduledend;
    return typeof due === 'string' ? new Date(due).toISOString().replace(/\.\d+Z$/, 'Z') : undefined;
  } catch {
    return undefined; // the task exists; its due date is only for the answer
  }
}

/** Whether the person's recent activities already hold `crm.task-created` for this task (a retried call). */
async function taskLogged(deps: EngineDeps, personId: string, taskId: string): Promise<boolean> {
  const page = await deps.store.listActivities(personId, { limit: 100 });
  return page.items.some(
    (activity) => activity.type === 'crm.task-created' && activity.attributes.taskId === taskId,
  );
}

function requireActive(link: CrmLink): CrmLink {
  if (link.state === 'deleted') {
    throw new SynclineError(
      'CRM_RECORD_DELETED',
      `The ${link.entity} ${link.crmId} of this person was deleted in the CRM (B3.6).`,
      { details: { entity: link.entity, crmId: link.crmId } },
    );
  }
  return link;
}

function failureOf(link: CrmLink, person: Person) {
  return { entity: link.entity, crmId: link.crmId, personId: person.id };
}

function pick(result: SyncToCrmResult) {
  return { crmType: result.crmType, crmId: result.crmId };
}

function personNotFound(id: string): SynclineError {
  return new SynclineError('NOT_FOUND', `No person with id ${id}.`, { details: { id } });
}
