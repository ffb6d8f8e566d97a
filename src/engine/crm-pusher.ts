import type { CrmRecord, CrmValue, UpdateOperation, WriteOutcome } from '../connectors/connector.ts';
import { toCrmValue } from '../domain/crm-attribute.ts';
import { sameValue } from '../domain/merge.ts';
import type { PersonEntity } from '../domain/sync-entities.ts';
import type { Person, PersonValue, Store } from '../store/store.ts';
import type { CrmLink, PendingPush } from '../store/sync-state-store.ts';
import type { EngineDeps, EngineSettings } from './engine-deps.ts';
import type { EntityPlan } from './entity-plan.ts';
import { quarantineField } from './field-selection.ts';
import type { PassContext } from './pass-context.ts';
import { applyPersonPage } from './person-page-applier.ts';

/** Re-read-and-merge rounds for one record whose ETag went stale during the pass (B4.5). */
const maxStaleRetries = 3;

/**
 * Requests a round is split into at least: under Dataverse's execution-time budget (1,200 s per 5 minutes =
 * 4 s per second) bulk requests of ~20 s (1,000 rows × ~20 ms, performance anchors §2.3) use the budget only
 * with about four in flight (docs/benchmarks.md, S4). The connector's limiter decides how many really run.
 */
const minRequestsPerRound = 4;
/** Smallest chunk worth a request of its own when a round is split for parallelism. */
const minChunkSize = 100;
/** The store's bulk reads take at most this many ids per call. */
const storeIdsPerCall = 1000;

interface PreparedPush {
  readonly pending: PendingPush;
  readonly operation: UpdateOperation;
  /** Person-side values being pushed, keyed by attribute: the new bases once the CRM accepted them. */
  readonly bases: Record<string, PersonValue>;
  /** A value of this record could not be mapped (B5.3) and was recorded as a sync error instead of sent. */
  readonly valueRejected: boolean;
  /** The link's ETag when prepared: kept when the CRM accepted the update without returning a new one. */
  readonly etag: string | null;
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
 * Pushes the pending marketing-side changes to the CRM, each update carrying the record's ETag (B4.5). A
 * round takes `pushRoundSize` pending records, prepares them with bulk reads (links, persons, bases), and
 * sends them in one `write` call split into several requests of at most `writeBatchSize` (the connector sends
 * updates as UpdateMultiple, in parallel within its limiter). Per outcome: accepted → new bases and ETag, mark
 * cleared, in one transaction per chunk; 412 → re-read, merge again, retry; rejected → one sync error and one
 * `crm.sync-failed` activity per distinct error (B6.1), retried when the person changes again; unknown
 * attribute → quarantine it (B5.6) and retry without it; transient → stays pending for the next pass (B6.2).
 */
export async function pushPending(deps: EngineDeps, input: PushInput): Promise<void> {
  let cursor: string | undefined;
  do {
    if (input.signal?.aborted) return;
    const round = await nextRound(deps, input, cursor);
    let retry = round.items;
    for (let attempt = 0; attempt <= maxStaleRetries && retry.length > 0; attempt += 1) {
      retry = await pushRound(deps, input, retry);
    }
    cursor = round.cursor;
  } while (cursor !== undefined);
}

/** Up to `pushRoundSize` pending records after `cursor`, in pages the store allows. */
async function nextRound(
  deps: EngineDeps,
  input: PushInput,
  after: string | undefined,
): Promise<{ items: PendingPush[]; cursor: string | undefined }> {
  const items: PendingPush[] = [];
  let cursor = after;
  do {
    const page = await deps.store.listPendingPushes({
      limit: Math.min(storeIdsPerCall, input.settings.pushRoundSize - items.length),
      cursor,
      ...(input.only ?? {}),
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < input.settings.pushRoundSize);
  return { items, cursor };
}

/** Returns the pending pushes to try again in this pass (stale ETags that were re-read and merged). */
async function pushRound(
  deps: EngineDeps,
  input: PushInput,
  batch: readonly PendingPush[],
): Promise<PendingPush[]> {
  const prepared = await prepareRound(deps, input, batch);
  if (prepared.length === 0) return [];
  const requests = Math.max(minRequestsPerRound, deps.crm.stats().concurrencyLimit);
  const batchSize = Math.min(
    input.settings.writeBatchSize,
    Math.max(minChunkSize, Math.ceil(prepared.length / requests)),
  );
  const outcomes = await deps.crm.write(
    prepared.map((push) => push.operation),
    { batchSize, signal: input.signal },
  );
  const accepted: { push: PreparedPush; etag: string | undefined }[] = [];
  const stale: PendingPush[] = [];
  for (const [index, push] of prepared.entries()) {
    const outcome = outcomes[index];
    if (outcome.status === 'ok') {
      accepted.push({ push, etag: outcome.etag });
      continue;
    }
    const again = await handleOutcome(deps, input, push, outcome);
    if (again) stale.push(push.pending);
  }
  for (let start = 0; start < accepted.length; start += batchSize) {
    await settleAccepted(deps, input, accepted.slice(start, start + batchSize));
  }
  // Fresh marks (re-merges) replace the stale ones: read them back with their new generation.
  const refreshed: PendingPush[] = [];
  for (const pending of stale) {
    const current = await deps.store.getPendingPush(pending.entity, pending.crmId);
    if (current !== undefined) refreshed.push(current);
  }
  return refreshed;
}

/** Builds the updates of a round with bulk reads; clears the marks with nothing (left) to push. */
async function prepareRound(
  deps: EngineDeps,
  input: PushInput,
  batch: readonly PendingPush[],
): Promise<PreparedPush[]> {
  const { store } = deps;
  const links = new Map<string, CrmLink>();
  const bases = new Map<string, Map<string, PersonValue>>();
  for (const entity of new Set(batch.map((pending) => pending.entity))) {
    const ids = batch.filter((pending) => pending.entity === entity).map((pending) => pending.crmId);
    for (const part of partsOf(ids, storeIdsPerCall)) {
      for (const [crmId, link] of await store.getLinks(entity, part)) links.set(key(entity, crmId), link);
      for (const [crmId, values] of await store.getBasesOf(entity, part))
        bases.set(key(entity, crmId), values);
    }
  }
  const personIds = [...new Set([...links.values()].map((link) => link.personId))];
  const persons = new Map<string, Person>();
  for (const part of partsOf(personIds, storeIdsPerCall)) {
    for (const person of await store.getPersons(part)) persons.set(person.id, person);
  }
  const prepared: PreparedPush[] = [];
  for (const pending of batch) {
    const link = links.get(key(pending.entity, pending.crmId));
    const person = link === undefined ? undefined : persons.get(link.personId);
    const push = await preparePush(
      deps,
      input,
      pending,
      link,
      person,
      bases.get(key(pending.entity, pending.crmId)) ?? new Map(),
    );
    if (push !== undefined) prepared.push(push);
  }
  return prepared;
}

/** Builds the update of one pending record, or clears the mark when there is nothing (left) to push. */
async function preparePush(
  deps: EngineDeps,
  input: PushInput,
  pending: PendingPush,
  link: CrmLink | undefined,
  person: Person | undefined,
  bases: ReadonlyMap<string, PersonValue>,
): Promise<PreparedPush | undefined> {
  const { store } = deps;
  const plan = input.plans.get(pending.entity);
  if (plan === undefined || link === undefined || link.state !== 'active' || person === undefined) {
    await store.clearPendingPush(pending.entity, pending.crmId, pending.generation);
    return undefined;
  }
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
    etag: link.etag,
    operation: {
      kind: 'update',
      entity: pending.entity,
      id: pending.crmId,
      values,
      etag: link.etag ?? undefined,
    },
  };
}

/**
 * Settles a chunk of accepted updates in one transaction: new bases, ETags, then marks cleared (a mark re-set
 * meanwhile stays), sync errors resolved and counts in bulk statements. An UpdateMultiple answer carries no ETag: the
 * link keeps the one the update was sent with, so a push before the next read meets a 412 and re-reads
 * (B4.5) instead of overwriting blindly with `If-Match: *`; the next read of the record brings the new ETag.
 */
async function settleAccepted(
  deps: EngineDeps,
  input: PushInput,
  accepted: readonly { push: PreparedPush; etag: string | undefined }[],
): Promise<void> {
  const entities = new Set(accepted.map(({ push }) => push.pending.entity));
  await deps.store.withTransaction(async (tx) => {
    for (const entity of entities) {
      const items = accepted.filter(({ push }) => push.pending.entity === entity);
      for (const { push, etag } of items) {
        await tx.setBases(entity, push.pending.crmId, push.bases);
        // Only `$batch` answers carry a new ETag; UpdateMultiple's 204 leaves the link as it is.
        if (etag === undefined || etag === push.etag) continue;
        const link = await tx.getLink(entity, push.pending.crmId);
        if (link !== undefined) await tx.upsertLink({ ...link, etag });
      }
      await tx.settlePushes(
        entity,
        items.map(({ push }) => ({
          crmId: push.pending.crmId,
          generation: push.pending.generation,
          // The other fields went through, but a value rejected while preparing (B5.3) is still not in the
          // CRM: its error stays open instead of being resolved by this very push.
          resolveErrors: !push.valueRejected,
        })),
      );
      await tx.addSyncedCount(entity, 'toCrm', items.length);
    }
  });
  for (const { push } of accepted) {
    input.context.count(`${push.pending.entity}.toCrm.updated`);
    input.onPushed?.(Object.keys(push.bases), push.pending.entity, push.pending.crmId);
  }
}

function key(entity: string, crmId: string): string {
  return `${entity}:${crmId}`;
}

function partsOf<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
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
      // Accepted outcomes are settled in bulk by settleAccepted.
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
