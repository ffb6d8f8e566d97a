import { Type, type Static } from 'typebox';
import { PageCursor, PageLimit, pageOf } from './pagination.ts';

/**
 * Persons are served and accepted flat: `id`, `createdAt`, `updatedAt` and every person field by name
 * (interfaces.md §4, §6). Which field names exist is data (the person-field registry), so the schema constrains
 * value types and sizes; unknown names and wrong types per field are rejected against the registry.
 */

/** Longest string value a person field may hold through the API (the store's own limit, too). */
export const personValueMaxLength = 100_000;
/** Most fields one request may set. */
export const personInputMaxFields = 500;

/**
 * One schema with a type list rather than a union: a wrong value gets one error ("must be
 * string,number,boolean,null") instead of one per alternative. `maxLength` applies to strings only.
 */
export const PersonValue = Type.Unsafe<string | number | boolean | null>({
  type: ['string', 'number', 'boolean', 'null'],
  maxLength: personValueMaxLength,
});
export type PersonValue = Static<typeof PersonValue>;

/** Body of POST /api/v1/persons and PATCH /api/v1/persons/{id}: person field name → value. */
export const PersonInput = Type.Object(
  {},
  {
    additionalProperties: PersonValue,
    maxProperties: personInputMaxFields,
    title: 'PersonInput',
    description: 'Person fields to set (see GET /api/v1/person-fields). System fields are read-only.',
  },
);
export type PersonInput = Record<string, PersonValue>;

/** A person as served: identity and timestamps plus every person field and the system fields. */
export const Person = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: PersonValue, title: 'Person' },
);
export type Person = Static<typeof Person> & Record<string, PersonValue>;

export const PersonIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The person id.' }),
});
export type PersonIdParams = Static<typeof PersonIdParams>;

export const UpsertPersonResult = Type.Object({ id: Type.String(), created: Type.Boolean() });
export type UpsertPersonResult = Static<typeof UpsertPersonResult>;

export const ListPersonsQuery = Type.Object(
  {
    email: Type.Optional(
      Type.String({ minLength: 1, maxLength: 320, description: 'Exact email, case-insensitive.' }),
    ),
    crmType: Type.Optional(
      Type.Enum(['lead', 'contact', 'none'], { description: '`none` lists marketing-only persons.' }),
    ),
    updatedSince: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only persons updated at or after this instant.' }),
    ),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);
export type ListPersonsQuery = Static<typeof ListPersonsQuery>;

export const PersonList = pageOf(Person);
export type PersonList = Static<typeof PersonList>;
