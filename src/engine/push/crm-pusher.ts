import type { UpdateOperation, WriteOutcome } from '../../connectors/connector.ts';
import { toCrmValue } from '../../domain/crm-attribute.ts';
import { sameValue } from '../../domain/merge.ts';
import type { PersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { quarantineField } from '../fields/quarantine-field.ts';
import type { MetadataCheck } from '../fields/metadata-check.ts';
import type { PassContext } from '../run/pass-context.ts';
import { rereadRecord } from '../apply/fetched-records.ts';
import { learnWhatLanded } from './lost-answer.ts';
import { recordSyncFailure } from './sync-failure.ts';
import type { CrmValue } from '../../domain/crm-record.ts';
import type { Person, PersonValue } from '../../domain/person.ts';
import type { CrmLink } from '../../store/link-store.ts';
import type { PendingPush } from '../../store/outbox-store.ts';

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
  /**
   * The pass's metadata check (issue 16 item 8), taken before the first round that has something to push; it
   * re-plans the changed entities in `plans` (the pass's own map) and answers their names.
   */
  readonly metadata?: Pick<MetadataCheck, 'ensure'>;
}

/** One call's state: its own copy of the plans, so a quarantine (B5.6) never changes a shared plan. */
interface PushRun extends PushInput {
  readonly plans: Map<string, EntityPlan>;
}

/** A round's updates sent in one `write` call; `answer` never rejects, so nothing is unhandled in flight. */
interface Flight {
  readonly prepared: readonly PreparedPush[];
  readonly batchSize: number;
  readonly answer: Promise<{ outcomes: WriteOutcome[] } | { error: unknown }>;
}

/**
 * Pushes the pending marketing-side changes to the CRM, each update carrying the record's ETag (B4.5). A
 * round takes `pushRoundSize` pending records, prepares them with bulk reads (links, persons, bases), and
 * sends them in one `write` call split into several requests of at most `writeBatchSize` (the connector sends
 * updates as UpdateMultiple, in parallel within its limiter). Per outcome: accepted → new bases and ETag, mark
 * cleared, in one transaction per chunk; 412 → re-read, merge again, retry; rejected → one sync error and one
 * `crm.sync-failed` activity per distinct error (B6.1), retried when the person changes again; unknown
 * attribute → quarantine it (B5.6) and retry without it; transient → stays pending for the next pass (B6.2),
 * but one that may have landed (its answer lost) is re-read at once (`learnWhatLanded`): what the CRM holds
 * of the push becomes the base, and the push is settled or merged again (B4.1, issue 13 item 6).
 *
 * Rounds are pipelined so that the CRM is not left idle while the store works: round N+1 is listed and
 * prepared while round N's requests are in flight and sent as soon as it is ready; round N is then settled
 * (its stale records re-read and retried) while N+1 is in flight, and only after that is N+2 prepared — at
 * most two rounds are held at once. Every store call stays on this one async chain (a `write` only talks to
 * the CRM), so transactions never interleave.
 */
export async function pushPending(deps: EngineDeps, pushInput: PushInput): Promise<void> {
  const input: PushRun = { ...pushInput, plans: new Map(pushInput.plans) };
  // Records sent and not yet settled. A round prepared meanwhile skips them (their mark stays for the next
  // pass), so a record is never in two rounds at once, whatever re-marks the outbox sees during the pass.
  const unsettled = new Set<string>();
  // Sent rounds not yet settled, oldest first: at most two.
  const flights: Flight[] = [];
  let metadataTaken = false;
  try {
    let cursor: string | undefined;
    do {
      if (input.signal?.aborted) break;
      const round = await nextRound(deps, input, cursor, unsettled);
      cursor = round.cursor;
      if (round.items.length > 0 && pushInput.metadata !== undefined && !metadataTaken) {
        // A new option label or a changed type must be known before a value is turned into the CRM's. Taken
        // over once: later rounds keep this call's own quarantines (B5.6) in its copy.
        metadataTaken = true;
        for (const name of await pushInput.metadata.ensure()) {
          const plan = pushInput.plans.get(name);
          if (plan !== undefined) input.plans.set(name, plan);
        }
      }
      const prepared = await prepareRound(deps, input, round.items);
      if (prepared.length > 0) {
        for (const push of prepared) unsettled.add(keyOf(push.pending));
        flights.push(send(deps, input, prepared));
      }
      // Settle the previous round while this one is in flight; the next is prepared only afterwards.
      while (flights.length > 1) await land(deps, input, flights.shift() as Flight, unsettled);
    } while (cursor !== undefined);
    while (flights.length > 0) await land(deps, input, flights.shift() as Flight, unsettled);
  } finally {
    // After a failure (a store error, a write that threw) no request of this pass is left running.
    await Promise.all(flights.map((flight) => flight.answer));
  }
}

/** Up to `pushRoundSize` pending records after `cursor`, in pages the store allows, minus unsettled ones. */
async function nextRound(
  deps: EngineDeps,
  input: PushRun,
  after: string | undefined,
  unsettled: ReadonlySet<string>,
): Promise<{ items: PendingPush[]; cursor: string | undefined }> {
  const items: PendingPush[] = [];
  let cursor = after;
  let listed = 0;
  do {
    const page = await deps.store.listPendingPushes({
      limit: Math.min(storeIdsPerCall, input.settings.pushRoundSize - listed),
      cursor,
      ...(input.only ?? {}),
    });
    listed += page.items.length;
    for (const pending of page.items) {
      if (unsettled.has(keyOf(pending))) input.context.count(`${pending.entity}.toCrm.deferred`);
      else items.push(pending);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && listed < input.settings.pushRoundSize);
  return { items, cursor };
}

/** Sends prepared updates in one `write` call, split so that several requests run in parallel. */
function send(deps: EngineDeps, input: PushRun, prepared: readonly PreparedPush[]): Flight {
  const requests = Math.max(minRequestsPerRound, deps.crm.stats().concurrencyLimit);
  const batchSize = Math.min(
    input.settings.writeBatchSize,
    Math.max(minChunkSize, Math.ceil(prepared.length / requests)),
  );
  const answer = Promise.resolve()
    .then(() =>
      deps.crm.write(
        prepared.map((push) => push.operation),
        { batchSize, signal: input.signal },
      ),
    )
    .then(
      (outcomes) => ({ outcomes }),
      (error: unknown) => ({ error }),
    );
  return { prepared, batchSize, answer };
}

/** Settles a sent round and retries its stale records (B4.5) before its records may be listed again. */
async function land(deps: EngineDeps, input: PushRun, flight: Flight, unsettled: Set<string>): Promise<void> {
  try {
    let retry = await settleRound(deps, input, flight);
    for (let attempt = 1; attempt <= maxStaleRetries && retry.length > 0; attempt += 1) {
      retry = await pushRound(deps, input, retry);
    }
  } finally {
    for (const push of flight.prepared) unsettled.delete(keyOf(push.pending));
  }
}

/** Prepares, sends and settles records again; returns those to try once more (stale again). */
async function pushRound(
  deps: EngineDeps,
  input: PushRun,
  batch: readonly PendingPush[],
): Promise<PendingPush[]> {
  const prepared = await prepareRound(deps, input, batch);
  if (prepared.length === 0) return [];
  return settleRound(deps, input, send(deps, input, prepared));
}

/** Applies a round's outcomes; returns the pending pushes to try again (stale ETags re-read and merged). */
async function settleRound(deps: EngineDeps, input: PushRun, flight: Flight): Promise<PendingPush[]> {
  const answer = await flight.answer;
  if ('error' in answer) throw answer.error;
  const { outcomes } = answer;
  const accepted: { push: PreparedPush; etag: string | undefined }[] = [];
  const stale: PendingPush[] = [];
  for (const [index, push] of flight.prepared.entries()) {
    const outcome = outcomes[index];
    if (outcome.status === 'ok') {
      accepted.push({ push, etag: outcome.etag });
      continue;
    }
    if (outcome.status === 'transient' && outcome.mayHaveLanded) {
      // The answer was lost, the write may be in the CRM: learn what landed before deciding again (issue 13 #6).
      input.context.count(`${push.pending.entity}.toCrm.lostAnswer`);
      const learned = await learnWhatLanded(deps, input, push.pending, push.bases);
      if (learned.kind === 'landed') accepted.push({ push, etag: learned.record.etag });
      else if (learned.kind === 'decided') stale.push(push.pending);
      else input.context.count(`${push.pending.entity}.toCrm.deferred`);
      continue;
    }
    const again = await handleOutcome(deps, input, push, outcome);
    if (again) stale.push(push.pending);
  }
  for (let start = 0; start < accepted.length; start += flight.batchSize) {
    await settleAccepted(deps, input, accepted.slice(start, start + flight.batchSize));
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
  input: PushRun,
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
  input: PushRun,
  pending: PendingPush,
  link: CrmLink | undefined,
  person: Person | undefined,
  bases: ReadonlyMap<string, PersonValue>,
): Promise<PreparedPush | undefined> {
  const { store } = deps;
  const plan = input.plans.get(pending.entity);
  if (plan === undefined || link === undefined || link.state !== 'active' || person === undefined) {
    await clearMark(deps, pending);
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
    await clearMark(deps, pending);
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
 * Settles a chunk of accepted updates in one transaction of multi-row statements per entity: new bases
 * (`setBasesOf`), new ETags (`upsertLinks`), marks cleared (a mark re-set meanwhile stays, B2.4), sync errors
 * resolved (`settlePushes`) and the synced count. An UpdateMultiple answer carries no ETag: the
 * link keeps the one the update was sent with, so a push before the next read meets a 412 and re-reads
 * (B4.5) instead of overwriting blindly with `If-Match: *`; the next read of the record brings the new ETag.
 */
async function settleAccepted(
  deps: EngineDeps,
  input: PushRun,
  accepted: readonly { push: PreparedPush; etag: string | undefined }[],
): Promise<void> {
  const entities = new Set(accepted.map(({ push }) => push.pending.entity));
  await deps.store.withTransaction(async (tx) => {
    for (const entity of entities) {
      const items = accepted.filter(({ push }) => push.pending.entity === entity);
      await tx.setBasesOf(
        entity,
        items.map(({ push }) => ({ crmId: push.pending.crmId, values: push.bases })),
      );
      // Only `$batch` answers carry a new ETag; UpdateMultiple's 204 leaves the link as it is.
      const etags = new Map<string, string>();
      for (const { push, etag } of items) {
        if (etag !== undefined && etag !== push.etag) etags.set(push.pending.crmId, etag);
      }
      if (etags.size > 0) {
        const links = await tx.getLinks(entity, [...etags.keys()]);
        await tx.upsertLinks(
          [...links.values()].map((link) => ({ ...link, etag: etags.get(link.crmId) ?? link.etag })),
        );
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
    deps.latency?.pushAccepted(push.pending.entity, push.pending.crmId);
    input.context.count(`${push.pending.entity}.toCrm.updated`);
    input.onPushed?.(Object.keys(push.bases), push.pending.entity, push.pending.crmId);
  }
}

/** Clears a mark that ends without a write (nothing left to push, refused): its change is not timed (B2.8). */
async function clearMark(deps: EngineDeps, pending: PendingPush): Promise<void> {
  await deps.store.clearPendingPush(pending.entity, pending.crmId, pending.generation);
  deps.latency?.pushDropped(pending.entity, pending.crmId);
}

function key(entity: string, crmId: string): string {
  return `${entity}:${crmId}`;
}

function keyOf(pending: PendingPush): string {
  return key(pending.entity, pending.crmId);
}

function partsOf<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}

/** Applies one write outcome; true when the record should be pushed again in this pass. */
async function handleOutcome(
  deps: EngineDeps,
  input: PushRun,
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
      await clearMark(deps, pending);
      return false;
    case 'field-error': {
      const plan = input.plans.get(pending.entity);
      if (plan === undefined) return false;
      // The retry goes without the field: this push's own copy of the plans takes the new plan.
      input.plans.set(pending.entity, await quarantineField(deps, plan, outcome.field, outcome.message));
      return true;
    }
    case 'transient':
    default:
      input.context.count(`${pending.entity}.toCrm.deferred`);
      return false;
  }
}

/** B4.5: the record changed since its ETag was read — re-read it and merge again, in the same pass. */
async function rereadAndMerge(deps: EngineDeps, input: PushRun, pending: PendingPush): Promise<boolean> {
  return (await rereadRecord(deps, input, pending.entity, pending.crmId)) !== undefined;
}

/** B6.1 for a push: one sync error and one `crm.sync-failed` activity per distinct error; counted per pass. */
async function recordRejection(
  store: Store,
  context: PassContext,
  pending: PendingPush,
  personId: string,
  code: string,
  message: string,
) {
  const { entity, crmId } = pending;
  const failure = { entity, crmId, personId, operation: 'update', code, message };
  const { isNew } = await recordSyncFailure(store, failure);
  if (isNew) context.count('errors.new');
  context.count(`${entity}.toCrm.failed`);
}
