import type { Store } from '../../store/store.ts';
import type { CrmLink } from '../../store/link-store.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import type { PersonWrites } from './person-writes.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';
import type { Person, PersonValue } from '../../domain/person.ts';

/** A link as the appliers write it (the store stamps the times). */
export type NewLink = Omit<CrmLink, 'linkedAt' | 'updatedAt'>;

/** What every record of a batch shares: the plans it is applied with and the pass's counters and caches. */
export interface ApplyScope {
  readonly plan: EntityPlan;
  /** The account plan, for contacts' company fields (B1.4). */
  readonly accountPlan: EntityPlan | undefined;
  readonly context: PassContext;
}

/**
 * How a field set differently on both sides is decided when the record has no base yet (a first link):
 * - `merge` — B3.2 for a record the pass meets: a blank side takes the other's value, a field set on both
 *   follows B4.3's collision rule (logged as a conflict);
 * - `person-first` — B7.1 for a record a flow action has just created from the person: the person's non-blank
 *   values are pushed, its blanks take what the CRM filled in (defaults, plug-ins). Nothing collided and nobody
 *   edited anything, so it logs no conflict, no `data-value-changed` and no `crm.owner-changed` activity.
 */
export type FirstLinkRule = 'merge' | 'person-first';

/** Owner name and email known from elsewhere, for when the mirror has not read the owner yet (B1.5, B7.4). */
export interface KnownOwner {
  /** Lower case. */
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
}

/**
 * Everything the merge of one CRM record into one person reads and writes (B4), built once per record: by the
 * page applier for ordinary records, by the one-at-a-time applier, and by a first link (B3.2, B7.1).
 */
export interface RecordContext extends ApplyScope {
  /** The transaction the record is applied in. */
  readonly tx: Store;
  readonly record: CrmRecord;
  /** The link as it will be written (state, ETag before this read). */
  readonly link: NewLink;
  readonly person: Person;
  /** Bases by attribute (B4.1); empty on a first link. */
  readonly bases: ReadonlyMap<string, PersonValue>;
  /** Where the person-side writes go: collected for the page, or written at once. */
  readonly writes: PersonWrites;
  /** Only for a record without bases; default `merge`. */
  readonly firstLink?: FirstLinkRule;
  /**
   * A qualified lead's person re-linked to its contact (B3.4, B7.1 `syncAs: contact`): on this first link the
   * person's state and status labels are the lead's, so the contact's own state and status become the
   * person's values and the bases — never a push to the contact, never a conflict.
   */
  readonly qualified?: boolean;
  readonly owner?: KnownOwner;
}

/** The scope part of a page input or a record context. */
export function scopeOf(input: ApplyScope): ApplyScope {
  return { plan: input.plan, accountPlan: input.accountPlan, context: input.context };
}
