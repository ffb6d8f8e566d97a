import type { Store } from '../../store/store.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { CrmLink } from '../../store/link-store.ts';

type NewLink = Omit<CrmLink, 'linkedAt' | 'updatedAt'>;

/**
 * Where the merge of one CRM record puts its person-side writes. A page of ordinary records collects them
 * and writes them in a few multi-row statements (`PageWrites`); the rare records whose handling reads what
 * an earlier record wrote (qualify, merge, email matching) write at once (`immediateWrites`).
 */
export interface PersonWrites {
  updatePerson(id: string, fields: Record<string, PersonValue>): Promise<void>;
  link(link: NewLink): Promise<void>;
  bases(entity: string, crmId: string, values: Record<string, PersonValue>): Promise<void>;
  activity(personId: string, type: string, attributes: Record<string, unknown>): Promise<void>;
}

export function immediateWrites(tx: Store): PersonWrites {
  return {
    async updatePerson(id, fields) {
      await tx.updatePerson(id, fields, 'sync');
    },
    async link(link) {
      await tx.upsertLink(link);
    },
    async bases(entity, crmId, values) {
      if (Object.keys(values).length > 0) await tx.setBases(entity, crmId, values);
    },
    async activity(personId, type, attributes) {
      await tx.appendActivity(personId, type, attributes);
    },
  };
}

/** Collects a page's writes; `flush` writes them in order: persons, links, bases, activities. */
export class PageWrites implements PersonWrites {
  readonly #persons = new Map<string, Record<string, PersonValue>>();
  readonly #links: NewLink[] = [];
  readonly #bases = new Map<string, { crmId: string; values: Record<string, PersonValue> }[]>();
  readonly #activities: { personId: string; type: string; attributes: Record<string, unknown> }[] = [];

  async updatePerson(id: string, fields: Record<string, PersonValue>): Promise<void> {
    // One person at most once per bulk update: later changes of the same person in the page are merged in.
    this.#persons.set(id, { ...this.#persons.get(id), ...fields });
  }

  async link(link: NewLink): Promise<void> {
    this.#links.push(link);
  }

  async bases(entity: string, crmId: string, values: Record<string, PersonValue>): Promise<void> {
    if (Object.keys(values).length === 0) return;
    let list = this.#bases.get(entity);
    if (list === undefined) this.#bases.set(entity, (list = []));
    list.push({ crmId, values });
  }

  async activity(personId: string, type: string, attributes: Record<string, unknown>): Promise<void> {
    this.#activities.push({ personId, type, attributes });
  }

  async flush(tx: Store): Promise<void> {
    if (this.#persons.size > 0) {
      await tx.updatePersons(
        [...this.#persons].map(([id, fields]) => ({ id, fields })),
        'sync',
      );
    }
    if (this.#links.length > 0) await tx.upsertLinks(this.#links);
    for (const [entity, items] of this.#bases) await tx.setBasesOf(entity, items);
    if (this.#activities.length > 0) await tx.appendActivities(this.#activities);
    this.#persons.clear();
    this.#links.length = 0;
    this.#bases.clear();
    this.#activities.length = 0;
  }
}
