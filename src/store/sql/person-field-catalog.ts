import { standardFields, systemFields } from '../../domain/person-fields.ts';
import type { PersonField } from '../person-store.ts';

/** The fields every store has: the system fields (read-only, written by the sync), then the standard ones. */
export const builtInPersonFields: readonly PersonField[] = [
  ...Object.entries(systemFields).map(([name, type]): PersonField => ({
    name,
    type,
    source: 'standard',
    crm: {},
    readOnly: true,
  })),
  ...standardFields.map((definition): PersonField => ({
    name: definition.name,
    type: definition.type,
    source: 'standard',
    crm: {
      ...(definition.lead === undefined ? {} : { lead: definition.lead }),
      ...(definition.contact === undefined ? {} : { contact: definition.contact }),
      ...(definition.account === undefined ? {} : { account: definition.account }),
    },
    readOnly: false,
  })),
];

const builtInByName: ReadonlyMap<string, PersonField> = new Map(
  builtInPersonFields.map((field) => [field.name, field]),
);

/**
 * The person-field registry as the store validates against it: built-in fields from code, custom fields from
 * the `person_fields` table, cached. Custom fields are only ever added (a CRM type change quarantines the
 * sync field instead, B5.6), so a cache can only lack a field, never hold a wrong one: a miss reloads.
 * Loads made inside a transaction are not cached, so a rolled-back field never lingers.
 */
export class PersonFieldCatalog {
  #custom: ReadonlyMap<string, PersonField> | undefined;

  /** The registry, reloaded through `load` when it is unknown or lacks one of `names`. */
  async resolve(
    names: Iterable<string>,
    load: () => Promise<PersonField[]>,
    cacheable: boolean,
  ): Promise<PersonFieldLookup> {
    let custom = this.#custom;
    const lacks = (map: ReadonlyMap<string, PersonField>) =>
      [...names].some((name) => !builtInByName.has(name) && !map.has(name));
    if (custom === undefined || lacks(custom)) {
      custom = new Map((await load()).map((field) => [field.name, field]));
      if (cacheable) this.#custom = custom;
    }
    const customFields = custom;
    const all = [...builtInPersonFields, ...customFields.values()];
    const empty = Object.freeze(Object.fromEntries(all.map((field) => [field.name, null])));
    return {
      get: (name) => builtInByName.get(name) ?? customFields.get(name),
      all: () => all,
      empty: () => empty,
    };
  }

  forget(): void {
    this.#custom = undefined;
  }
}

export interface PersonFieldLookup {
  get(name: string): PersonField | undefined;
  /** Built-in fields first, then custom fields in creation order. */
  all(): readonly PersonField[];
  /** Every field name mapped to null: the base of a served person (shared; copy it, never mutate). */
  empty(): Readonly<Record<string, null>>;
}
