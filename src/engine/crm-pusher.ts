import type { CrmRecord, CrmValue, UpdateOperation, WriteOutcome } from '../connectors/connector.ts';
import { toCrmValue } from '../domain/crm-attribute.ts';
import { sameValue } from '../domain/merge.ts';
import type { PersonEntity } from '../domain/sync-entities.ts';
import type { PersonValue, Store } from '../store/store.ts';
import type { PendingPush } from '../store/sync-state-store.ts';
import type { EngineDeps, EngineSettings } from './engine-deps.ts';
import type { EntityPlan } from './entity-plan.ts';
import { quarantineField } from './field-selection.ts';
import type { PassContext } from './pass-context.ts';
import { applyPersonPage } from './person-page-applier.ts';

/** Re-read-and-merge rounds for one record whose ETag went stale during the pass (B4.5). */
const maxStaleRetries = 3;

interface PreparedPush {
  readonly pending: PendingPush;
  readonly operation: UpdateOperation;
  /** Person-side values being pushed, keyed by attribute: the new bases once the CRM accepted them. */
  readonly bases: Record<string, PersonValue>;
  /** A value of this record could not be mapped (B5.3) and was recorded as a sync error instead of sent. */
  readonly valueRejected: boolean;
}

export interface PushInput {
  readonly plans: ReadonlyMap<string, EntityPlan>;
  readonly context: PassContext;
  readonly settings: EngineSettings;
  readonly signal?: AbortSignal;
  /** Only these records (resync of one record, B8.2). */
  readonly only?: { entity: PersonEntity; crmId: string };
  /** Called with the attributes of every accepted update (resync reports them). */
  readonly onPushed?: (attributes: string[], entity: string, crmId: string) => void;
}

/**
 * Pushes the pending marketing-side changes to the CRM in `$batch` writes, each update carrying the record's
 * ETag (B4.5). Per outcome: accepted → new bases and ETag, mark cleared; 412 → re-read, merge again, retry;
 * rejected → one sync error and one `crm.sync-failed` activity per distinct error (B6.1), retried when the
 * person changes again; unknown attribute → quarantine it (B5.6) and retry without it; transient → stays
 * pending for the next pass (B6.2).
 */
export async function pushPending(deps: EngineDeps, input: PushInput): Promise<void> {
  let cursor: string | undefined;
  do {
    if (input.signal?.aborted) return;
    const page = await deps.store.listPendingPushes({
      limit: input.settings.writeBatchSize,
      cursor,
      ...(input.only ?? {}),
    });
    let retry = page.items;
    for (let round = 0; round <= maxStaleRetries && retry.length > 0; round += 1) {
      retry = await pushBatch(deps, input, retry);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** Returns the pending pushes to try again in this pass (stale ETags that were re-read and merged). */
async function pushBatch(
  deps: EngineDeps,
  input: PushInput,
  batch: readonly PendingPush[],
): Promise<PendingPush[]> {
  const prepared: PreparedPush[] = [];
  for (const pending of batch) {
    const push = await preparePush(deps, input, pending);
    if (push !== undefined) prepared.push(push);
  }
  if (prepared.length === 0) return [];
  const outcomes = await deps.crm.write(
    prepared.map((push) => push.operation),
    { batchSize: input.settings.writeBatchSize, signal: input.signal },
  );
  const stale: PendingPush[] = [];
  for (const [index, push] of prepared.entries()) {
    const outcome = outcomes[index];
    const again = await handleOutcome(deps, input, push, outcome);
    if (again) stale.push(push.pending);
  }
  // Fresh marks (re-merges) replace the stale ones: read them back with their new generation.
  const refreshed: PendingPush[] = [];
  for (const pending of stale) {
    const current = await deps.store.getPendingPush(pending.entity, pending.crmId);
    if (current !== undefined) refreshed.push(current);
  }
  return refreshed;
}

/** Builds the update of one pending record, or clears the mark when there is nothing (left) to push. */
async function preparePush(
  deps: EngineDeps,
  input: PushInput,
  pending: PendingPush,
): Promise<PreparedPush | undefined> {
  const { store } = deps;
  const plan = input.plans.get(pending.entity);
  const link = await store.getLink(pending.entity, pending.crmId);
  const person = link === undefined ? undefined : await store.getPerson(link.personId);
  if (plan === undefined || link === undefined || link.state !== 'active' || person === undefined) {
    await store.clearPendingPush(pending.entity, pending.crmId, pending.generation);
    return undefined;
  }
  const bases = await store.getBases(pending.entity, pending.crmId);
  const values: Record<string, CrmValue> = {};
  const newBases: Record<string, PersonValue> = {};
  let valueRejected = false;
  for (const mapping of plan.mappings) {
    if (mapping.personField === undefined || mapping.policy === 'crm-to-marketing') continue;
    const attribute = mapping.attribute.logicalName;
    const value = person.fields[mapping.personField] ?? null;
    const explicit = pending.fields?.includes(attribute) ?? false;
    // Without a base the field was never agreed (a backfill or first link will settle it): do not push.
    const differs = bases.has(attribute) && !sameValue(value, bases.get(attribute));
    if (!explicit && !differs) continue;
    const mapped = toCrmValue(mapping.attribute, value);
    if (!mapped.ok) {
      await recordRejection(
        store,
        input.context,
        pending,
        person.id,
        'VALUE_NOT_ACCEPTED',
        mapped.error.message,
      );
      valueRejected = true;
      continue;
    }
    values[attribute] = mapped.value as CrmValue;
    newBases[attribute] = value;
  }
  if (Object.keys(values).length === 0) {
    await store.clearPendingPush(pending.entity, pending.crmId, pending.generation);
    return undefined;
  }
  return {
    pending,
    bases: newBases,
    valueRejected,
    operation: {
      kind: 'update',
      entity: pending.entity,
      id: pending.crmId,
      values,
      etag: link.etag ?? undefined,
    },
  };
}

/** Applies one write outcome; true when the record should be pushed again in this pass. */
async function handleOutcome(
  deps: EngineDeps,
  input: PushInput,
  push: PreparedPush,
  outcome: WriteOutcome,
): Promise<boolean> {
  const { store } = deps;
  const { pending } = push;
  switch (outcome.status) {
    case 'ok':
      await store.withTransaction(async (tx) => {
        await tx.setBases(pending.entity, pending.crmId, push.bases);
        const link = await tx.getLink(pending.entity, pending.crmId);
        if (link !== undefined) await tx.upsertLink({ ...link, etag: outcome.etag ?? null });
        await tx.clearPendingPush(pending.entity, pending.crmId, pending.generation);
        // The other fields went through, but a value rejected while preparing (B5.3) is still not in the CRM:
        // its error stays open instead of being resolved by this very push.
        if (!push.valueRejected) await tx.resolveSyncErrorsOf(pending.entity, pending.crmId);
        await tx.addSyncedCount(pending.entity, 'toCrm', 1);
      });
      input.context.count(`${pending.entity}.toCrm.updated`);
      input.onPushed?.(Object.keys(push.bases), pending.entity, pending.crmId);
      return false;
    case 'stale-etag':
      input.context.count(`${pending.entity}.toCrm.staleEtag`);
      return rereadAndMerge(deps, input, pending);
    case 'rejected':
      await recordRejection(
        store,
        input.context,
        pending,
        pending.personId,
        outcome.crmCode ?? outcome.reason,
        outcome.message,
      );
      await store.clearPendingPush(pending.entity, pending.crmId, pending.generation);
      return false;
    case 'field-error':
      await quarantineField(deps, pending.entity, outcome.field, `The CRM answered: ${outcome.message}`);
      // The plan of this pass still lists the field: drop it so the retry goes without it.
      dropMapping(input.plans.get(pending.entity), outcome.field);
      return true;
    case 'transient':
    default:
      input.context.count(`${pending.entity}.toCrm.deferred`);
      return false;
  }
}

/** B4.5: the record changed since its ETag was read — re-read it and merge again, in the same pass. */
async function rereadAndMerge(deps: EngineDeps, input: PushInput, pending: PendingPush): Promise<boolean> {
  const plan = input.plans.get(pending.entity);
  if (plan === undefined) return false;
  const record: CrmRecord | undefined = await deps.crm.retrieve(pending.entity, pending.crmId, plan.select);
  const accountPlan = input.plans.get('account');
  await deps.store.withTransaction((tx: Store) =>
    applyPersonPage(tx, {
      plan,
      accountPlan,
      context: input.context,
      page: {
        upserts: record === undefined ? [] : [record],
        deletes: record === undefined ? [pending.crmId] : [],
        cursor: '',
        final: true,
      },
    }),
  );
  return record !== undefined;
}

async function recordRejection(
  store: Store,
  context: PassContext,
  pending: PendingPush,
  personId: string,
  code: string,
  message: string,
) {
  const { isNew } = await store.recordSyncError({
    entity: pending.entity,
    crmId: pending.crmId,
    personId,
    direction: 'toCrm',
    operation: 'update',
    code,
    message,
  });
  if (isNew) {
    await store.appendActivity(personId, 'crm.sync-failed', {
      entity: pending.entity,
      crmId: pending.crmId,
      operation: 'update',
      code,
      message,
    });
    context.count('errors.new');
  }
  context.count(`${pending.entity}.toCrm.failed`);
}

function dropMapping(plan: EntityPlan | undefined, attribute: string) {
  if (plan === undefined) return;
  const index = plan.mappings.findIndex((mapping) => mapping.attribute.logicalName === attribute);
  if (index >= 0) (plan.mappings as unknown[]).splice(index, 1);
}
