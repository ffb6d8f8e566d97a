import type { Store } from '../../store/store.ts';
import type { LinkedEntity } from '../../store/sync-state-store.ts';
import { mergeRecord } from './person-record-merge.ts';
import { immediateWrites } from './person-writes.ts';
import type { ApplyScope, FirstLinkRule, KnownOwner } from './record-context.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';
import type { Person } from '../../domain/person.ts';

/** A first link inside the caller's transaction (B3.2). */
export interface FirstLink extends ApplyScope {
  readonly tx: Store;
  readonly record: CrmRecord;
  readonly person: Person;
  readonly rule: FirstLinkRule;
  readonly owner?: KnownOwner;
}

/**
 * The one first-link merge (B3.2): links the person to the record and merges them without bases — a field
 * empty on one side takes the other side's value, a field set differently on both follows `rule` — writing at
 * once (the caller's transaction sees it). The bases start from the CRM's values; values to push are marked
 * pending. Used by the pass (a single marketing-only email match, a qualified lead's person re-linked to its
 * contact, B3.4) and by flow actions (`linkPersonToRecord`). Returns the attributes marked to push.
 */
export function linkFirst(first: FirstLink): Promise<string[]> {
  const { record, person } = first;
  const entity = first.plan.entity.name as LinkedEntity;
  return mergeRecord({
    ...first,
    link: { entity, crmId: record.id, personId: person.id, state: 'active', etag: null, version: null },
    bases: new Map(),
    writes: immediateWrites(first.tx),
    firstLink: first.rule,
  });
}
