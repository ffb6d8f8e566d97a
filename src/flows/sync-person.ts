import { isCrmError } from '../connectors/crm-error.ts';
import { toCrmValue } from '../domain/crm-attribute.ts';
import {
  linkPersonToRecord,
  pushRecordNow,
  quarantineField,
  resolveOwner,
  type EngineDeps,
  type EngineSettings,
  type EntityPlan,
  type LinkRequest,
  type ResolvedOwner,
} from '../engine/engine.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import { crmRejected, crmTransient, recordFlowFailure, requireAccepted } from './flow-failure.ts';
import { leadIdForPerson } from './flow-ids.ts';
import { isLookupValue, type CrmRecord, type CrmValue } from '../domain/crm-record.ts';
import type { Person } from '../domain/person.ts';
import type { LinkedEntity } from '../store/link-store.ts';

export interface SyncToCrmInput {
  readonly syncAs: LinkedEntity;
  /** A systemuser or a team (B1.5); absent → the CRM's default (the sync user). */
  readonly ownerId?: string;
}

export interface SyncToCrmResult {
  /** `created`: this call created (or finished creating) the record; `already-synced`: it was linked before. */
  readonly status: 'created' | 'already-synced';
  readonly crmType: LinkedEntity;
  readonly crmId: string;
}

export interface FlowContext {
  readonly deps: EngineDeps;
  readonly settings: EngineSettings;
  /** The entity plans (field mappings) to write with. */
  readonly plans: () => Promise<Map<string, EntityPlan>>;
}

/** Lead statecode (Dataverse): 0 Open, 1 Qualified, 2 Disqualified. */
const leadOpen = 0;
const leadQualified = 1;
/** Rounds of "qualify, then look for the contact" before a transient failure is given up on. */
const qualifyAttempts = 3;

/**
 * The `qualify` marker (store MarkerStore) is set while a `syncAs: contact` action has linked the person to its
 * new lead but not yet to the contact; a retry then resumes the qualify instead of answering "already synced"
 * with the lead. It is durable, so a crash in between is resumed too, and it goes with the person.
 */

/**
 * *Sync Person to Microsoft* (B7.1) for a person the caller holds the per-person lock of. A linked person is
 * left alone (`already-synced`, no CRM write). Otherwise the lead is created with the person's mapped fields
 * and owner under an id derived from the person (B7.2: a retry, a concurrent process or a crash-interrupted
 * earlier call gets "already exists" and simply links), read back and linked; `syncAs: contact` then qualifies
 * it into a contact with no account and links the person to the contact (B3.4's outcome, done at once).
 */
export async function syncPersonToCrm(
  context: FlowContext,
  person: Person,
  input: SyncToCrmInput,
): Promise<SyncToCrmResult> {
  const { store } = context.deps;
  const links = await store.listLinksOfPerson(person.id);
  const current = links.find((link) => link.state === 'active' || link.state === 'excluded');
  const resumeQualify =
    current?.entity === 'lead' &&
    input.syncAs === 'contact' &&
    (await store.getMarker(person.id, 'qualify')) === current.crmId;
  if (current !== undefined && !resumeQualify) {
    return { status: 'already-synced', crmType: current.entity, crmId: current.crmId };
  }
  if (current === undefined && links.some((link) => link.state === 'deleted')) {
    throw new SynclineError(
      'CRM_RECORD_DELETED',
      `The CRM record of person ${person.id} was deleted in the CRM; the person is no longer synced (B3.6).`,
      { details: { personId: person.id } },
    );
  }
  const owner = input.ownerId === undefined ? undefined : await resolveOwner(context.deps, input.ownerId);
  const plans = await context.plans();
  const cachedLeadPlan = plans.get('lead')!;
  const { lead, plan: leadPlan } =
    current === undefined
      ? await createLead(context, cachedLeadPlan, person, owner)
      : { lead: await readBack(context, 'lead', current.crmId, cachedLeadPlan), plan: cachedLeadPlan };

  if (input.syncAs === 'lead' && lead.values.statecode !== leadQualified) {
    const withOwner = await ensureOwner(context, leadPlan, lead, owner, person.id);
    await linkAndPush(context, plans, {
      person,
      plan: leadPlan,
      record: withOwner,
      owner,
      pushedActivity: pushedActivity('lead', withOwner.id, input, owner),
    });
    return { status: 'created', crmType: 'lead', crmId: withOwner.id };
  }

  // syncAs contact — or a lead an interrupted earlier call already qualified: the contact is the CRM's truth.
  if (current === undefined) {
    await linkPersonToRecord(context.deps, {
      person,
      plan: leadPlan,
      record: lead,
      owner,
      alsoInTransaction: async (tx) => void (await tx.setMarker(person.id, 'qualify', lead.id)),
    });
  }
  const contactPlan = plans.get('contact')!;
  const contact = await ensureOwner(
    context,
    contactPlan,
    await qualifiedContact(context, person.id, lead, contactPlan),
    owner,
    person.id,
  );
  const refreshed = (await store.getPerson(person.id)) ?? person;
  await linkAndPush(context, plans, {
    person: refreshed,
    plan: contactPlan,
    record: contact,
    owner,
    supersedes: { entity: 'lead', crmId: lead.id },
    pushedActivity: { ...pushedActivity('contact', contact.id, input, owner), leadId: lead.id },
    alsoInTransaction: async (tx) => void (await tx.deleteMarker(person.id, 'qualify')),
  });
  return { status: 'created', crmType: 'contact', crmId: contact.id };
}

/**
 * Creates the lead under the person's derived id; "already exists" means an earlier attempt made it (B7.2).
 * Returns it as read back, with the lead plan it was written with (without attributes quarantined meanwhile).
 */
async function createLead(
  context: FlowContext,
  leadPlan: EntityPlan,
  person: Person,
  owner: ResolvedOwner | undefined,
): Promise<{ lead: CrmRecord; plan: EntityPlan }> {
  let plan = leadPlan;
  const { deps } = context;
  const leadId = leadIdForPerson(person.id);
  const values = await leadValues(context, plan, person, leadId);
  if (owner !== undefined) values.ownerid = { id: owner.id, entity: owner.entity };
  const failure = { entity: 'lead', crmId: leadId, personId: person.id, operation: 'create' } as const;
  // Each round drops one attribute the CRM no longer knows (B5.6); the selection has a handful at most.
  for (let round = 0; round <= plan.mappings.length; round += 1) {
    const [outcome] = await deps.crm.write([{ kind: 'create', entity: 'lead', id: leadId, values }]);
    if (outcome.status === 'field-error' && outcome.field in values) {
      plan = await quarantineField(deps, plan, outcome.field, outcome.message);
      delete values[outcome.field];
      continue;
    }
    await requireAccepted(deps.store, outcome, failure, 'creating the lead', ['ok', 'already-exists']);
    return { lead: await readBack(context, 'lead', leadId, plan), plan };
  }
  throw new SynclineError('CRM_PROTOCOL_ERROR', 'The CRM kept refusing attributes of the new lead.');
}

/**
 * The person's mapped values in the lead's wire form: every selected lead attribute the sync user may create
 * and that is not CRM → marketing only, blanks left out. A value the CRM cannot take (an unknown option label,
 * too long) refuses the action with a clear error rather than creating a lead without it.
 */
async function leadValues(
  context: FlowContext,
  plan: EntityPlan,
  person: Person,
  leadId: string,
): Promise<Record<string, CrmValue>> {
  const values: Record<string, CrmValue> = {};
  for (const mapping of plan.mappings) {
    const field = mapping.personField;
    if (field === undefined || mapping.policy === 'crm-to-marketing' || !mapping.attribute.create) continue;
    const value = person.fields[field] ?? null;
    if (value === null || value === '') continue;
    const mapped = toCrmValue(mapping.attribute, value);
    if (!mapped.ok) {
      await recordFlowFailure(context.deps.store, {
        entity: 'lead',
        crmId: leadId,
        personId: person.id,
        operation: 'create',
        code: 'VALUE_NOT_ACCEPTED',
        message: mapped.error.message,
      });
      throw new SynclineError('VALUE_NOT_ACCEPTED', `${field}: ${mapped.error.message}`, {
        details: { field, attribute: mapping.attribute.logicalName, reason: mapped.error.reason },
      });
    }
    values[mapping.attribute.logicalName] = mapped.value as CrmValue;
  }
  return values;
}

/**
 * The contact the lead is qualified into, with no account (B7.1, the original's documented way). QualifyLead is
 * not idempotent, so a qualify whose answer was lost (drop after commit) is never repeated blindly: the contact
 * is looked up by `originatingleadid` first, and the lead is qualified again only while it is still open.
 */
async function qualifiedContact(
  context: FlowContext,
  personId: string,
  lead: CrmRecord,
  plan: EntityPlan,
): Promise<CrmRecord> {
  const { crm, store } = context.deps;
  let open = lead.values.statecode === leadOpen;
  let lastFailure: unknown;
  for (let attempt = 0; attempt < qualifyAttempts; attempt += 1) {
    if (open) {
      try {
        await crm.qualifyLead(lead.id, {
          createContact: true,
          createAccount: false,
          createOpportunity: false,
        });
      } catch (error) {
        if (!isCrmError(error)) throw error;
        if (error.errorClass === 'record') {
          const code = error.crmCode ?? error.reason;
          await recordFlowFailure(store, {
            entity: 'lead',
            crmId: lead.id,
            personId,
            operation: 'qualify',
            code,
            message: error.message,
          });
          throw crmRejected(
            `qualifying lead ${lead.id} into a contact (the lead stays linked)`,
            code,
            error.message,
          );
        }
        if (error.errorClass !== 'transient') throw error;
        lastFailure = error;
      }
    }
    const [contact] = await crm.findByLookup('contact', 'originatingleadid', lead.id, plan.select, 1);
    if (contact !== undefined) return contact;
    open = (await crm.retrieve('lead', lead.id, ['statecode']))?.values.statecode === leadOpen;
    if (!open) {
      throw new SynclineError(
        'CONFLICT',
        `Lead ${lead.id} was closed in the CRM without a contact (disqualified?); the person stays linked to the lead.`,
        { details: { leadId: lead.id } },
      );
    }
  }
  throw isCrmError(lastFailure)
    ? crmTransient('qualifying the lead', lastFailure.reason, lastFailure.message)
    : new SynclineError('CRM_PROTOCOL_ERROR', `QualifyLead on ${lead.id} created no contact.`);
}

/**
 * Assigns the record to the requested owner when it has another one (a lead made by an earlier attempt; a
 * contact, which QualifyLead gives to the calling user) and reads it back.
 */
async function ensureOwner(
  context: FlowContext,
  plan: EntityPlan,
  record: CrmRecord,
  owner: ResolvedOwner | undefined,
  personId: string,
): Promise<CrmRecord> {
  const current = record.values.ownerid;
  if (owner === undefined || (isLookupValue(current) && current.id.toLowerCase() === owner.id)) return record;
  const entity = plan.entity.name as LinkedEntity;
  const outcome = await context.deps.crm.assignOwner(entity, record.id, owner);
  const failure = { entity, crmId: record.id, personId, operation: 'assign' };
  await requireAccepted(context.deps.store, outcome, failure, `assigning ${entity} ${record.id}`);
  return readBack(context, entity, record.id, plan);
}

async function readBack(
  context: FlowContext,
  entity: LinkedEntity,
  id: string,
  plan: EntityPlan,
): Promise<CrmRecord> {
  const record = await context.deps.crm.retrieve(entity, id, plan.select);
  if (record === undefined) {
    throw new SynclineError(
      'CRM_RECORD_DELETED',
      `The ${entity} ${id} no longer exists in the CRM (deleted while the action ran).`,
      { details: { entity, crmId: id } },
    );
  }
  return record;
}

/** Links, then pushes at once what the new record still lacks of the person's values (B7.1 "within the request"). */
async function linkAndPush(
  context: FlowContext,
  plans: ReadonlyMap<string, EntityPlan>,
  request: LinkRequest,
): Promise<void> {
  const push = await linkPersonToRecord(context.deps, request);
  if (push.length === 0) return;
  const entity = request.plan.entity.name as LinkedEntity;
  // The plan the record was written with (a quarantine may have dropped an attribute from the cached one).
  const withPlan = new Map(plans).set(entity, request.plan);
  await pushRecordNow(
    context.deps,
    { plans: withPlan, settings: context.settings },
    { entity, crmId: request.record.id },
  );
}

function pushedActivity(
  entity: LinkedEntity,
  crmId: string,
  input: SyncToCrmInput,
  owner: ResolvedOwner | undefined,
): Record<string, unknown> {
  return {
    entity,
    crmId,
    syncAs: input.syncAs,
    ...(owner === undefined ? {} : { ownerId: owner.id, ownerType: owner.entity }),
  };
}
