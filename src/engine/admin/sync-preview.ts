import { fromCrmValue } from '../../domain/crm-attribute.ts';
import { entityCollisionWinner } from '../../domain/field-policy.ts';
import { mergeField, sameValue } from '../../domain/merge.ts';
import { isPersonEntity, passesSyncFilter, type PersonEntity } from '../../domain/sync-entities.ts';
import { crmCursorName } from '../pull/crm-puller.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { marketingCursorName } from '../push/marketing-feed.ts';
import { buildPlans } from '../run/pass-runner.ts';
import type { PreviewWrite, SyncPreview } from './sync-admin.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

const previewLimit = 200;

/**
 * B8.2 dry run: what the next pass would write on each side, computed with the pass's own merge rules from the
 * CRM's pending changes and the marketing side's pending ones — reading only: no cursor moves, nothing is
 * written. Stops at `previewLimit` writes per side (`truncated`).
 */
export async function previewNextPass(deps: EngineDeps, settings: EngineSettings): Promise<SyncPreview> {
  const plans = await buildPlans(deps, settings);
  const toCrm: PreviewWrite[] = [];
  const toMarketing: PreviewWrite[] = [];
  let truncated = false;
  const full = () => toMarketing.length >= previewLimit || toCrm.length >= previewLimit;

  for (const plan of [...plans.values()].sort((a, b) => a.entity.stage - b.entity.stage)) {
    const entity = plan.entity.name;
    const cursor = await deps.store.getCursor(crmCursorName(entity));
    for await (const page of deps.crm.readChanges(entity, plan.select, cursor, {
      pageSize: settings.pageSize,
    })) {
      for (const record of page.upserts) {
        if (isPersonEntity(entity)) await previewPersonRecord(deps, plan, entity, record, toMarketing, toCrm);
        else if (passesSyncFilter(record.values))
          toMarketing.push({
            entity,
            crmId: record.id,
            personId: null,
            operation: 'update',
            fields: { ...record.values },
          });
        if (full()) break;
      }
      for (const id of page.deletes) {
        if (full()) break;
        toMarketing.push({ entity, crmId: id, personId: null, operation: 'delete', fields: {} });
      }
      if (full()) {
        truncated = true;
        break;
      }
    }
    if (truncated) break;
  }

  // The marketing side: persons changed since the feed cursor, and records already marked for pushing.
  const candidates = new Map<string, { entity: PersonEntity; crmId: string; personId: string }>();
  const pending = await deps.store.listPendingPushes({ limit: previewLimit });
  for (const item of pending.items) candidates.set(`${item.entity}:${item.crmId}`, item);
  const changes = await deps.store.readPersonChanges(await deps.store.getCursor(marketingCursorName), 1000, {
    exceptOrigin: 'sync',
  });
  for (const change of changes.items) {
    for (const link of await deps.store.listLinksOfPerson(change.personId)) {
      if (link.state === 'active') candidates.set(`${link.entity}:${link.crmId}`, link);
    }
  }
  for (const candidate of candidates.values()) {
    if (toCrm.length >= previewLimit) {
      truncated = true;
      break;
    }
    const plan = plans.get(candidate.entity);
    const person = await deps.store.getPerson(candidate.personId);
    if (plan === undefined || person === undefined) continue;
    const bases = await deps.store.getBases(candidate.entity, candidate.crmId);
    const fields: Record<string, unknown> = {};
    for (const mapping of plan.mappings) {
      if (mapping.personField === undefined || mapping.policy === 'crm-to-marketing') continue;
      const attribute = mapping.attribute.logicalName;
      const value = person.fields[mapping.personField] ?? null;
      if (bases.has(attribute) && !sameValue(value, bases.get(attribute))) fields[attribute] = value;
    }
    if (Object.keys(fields).length > 0) {
      toCrm.push({
        entity: candidate.entity,
        crmId: candidate.crmId,
        personId: person.id,
        operation: 'update',
        fields,
      });
    }
  }
  return { toCrm, toMarketing, truncated };
}

async function previewPersonRecord(
  deps: EngineDeps,
  plan: EntityPlan,
  entity: PersonEntity,
  record: CrmRecord,
  toMarketing: PreviewWrite[],
  toCrm: PreviewWrite[],
) {
  const link = await deps.store.getLink(entity, record.id);
  if (!passesSyncFilter(record.values) || link?.state === 'superseded' || link?.state === 'deleted') return;
  if (link === undefined) {
    const fields: Record<string, unknown> = {};
    for (const mapping of plan.mappings) {
      if (mapping.personField !== undefined)
        fields[mapping.personField] = fromCrmValue(
          mapping.attribute,
          record.values[mapping.attribute.logicalName],
        );
    }
    toMarketing.push({ entity, crmId: record.id, personId: null, operation: 'create', fields });
    return;
  }
  const person = await deps.store.getPerson(link.personId);
  if (person === undefined) return;
  const bases = await deps.store.getBases(entity, record.id);
  const marketingWrites: Record<string, unknown> = {};
  const crmWrites: Record<string, unknown> = {};
  for (const mapping of plan.mappings) {
    if (mapping.personField === undefined) continue;
    const attribute = mapping.attribute.logicalName;
    const decision = mergeField({
      field: mapping.personField,
      base: bases.has(attribute) ? bases.get(attribute)! : undefined,
      marketing: person.fields[mapping.personField] ?? null,
      crm: fromCrmValue(mapping.attribute, record.values[attribute]),
      policy: mapping.policy,
      entityWinner: entityCollisionWinner(entity),
    });
    if (decision.toMarketing) marketingWrites[mapping.personField] = decision.toMarketing.value;
    if (decision.toCrm) crmWrites[attribute] = decision.toCrm.value;
  }
  if (Object.keys(marketingWrites).length > 0)
    toMarketing.push({
      entity,
      crmId: record.id,
      personId: person.id,
      operation: 'update',
      fields: marketingWrites,
    });
  if (Object.keys(crmWrites).length > 0)
    toCrm.push({ entity, crmId: record.id, personId: person.id, operation: 'update', fields: crmWrites });
}
