import { Type, type Static } from 'typebox';
import type { PersonFieldType } from '../../domain/person-fields.ts';

const personFieldTypes = [
  'string',
  'integer',
  'number',
  'boolean',
  'datetime',
  'date',
] as const satisfies readonly PersonFieldType[];

// `enum` rather than a union of literals: a wrong value gets one clear error listing the allowed values.
export const PersonFieldTypeSchema = Type.Enum(personFieldTypes, { description: 'Value type of the field.' });

/** One entry of the person-field registry (GET /api/v1/person-fields). */
export const PersonField = Type.Object(
  {
    name: Type.String(),
    type: PersonFieldTypeSchema,
    source: Type.Enum(['standard', 'crm', 'marketing']),
    crm: Type.Object({
      lead: Type.Optional(Type.String()),
      contact: Type.Optional(Type.String()),
      account: Type.Optional(Type.String()),
    }),
    readOnly: Type.Boolean(),
  },
  { title: 'PersonField' },
);
export type PersonField = Static<typeof PersonField>;

export const PersonFieldList = Type.Array(PersonField);

/**
 * Marketing-only field names: a letter, then letters and digits (camelCase), at most 64 characters. No
 * underscore, so they never clash with CRM custom fields, which are named by logical name (`new_tier`, B5.2).
 */
export const marketingFieldNamePattern = '^[A-Za-z][A-Za-z0-9]{0,63}$';

/** Body of POST /api/v1/person-fields. */
export const NewPersonField = Type.Object(
  {
    name: Type.String({ pattern: marketingFieldNamePattern, description: 'camelCase, 1–64 characters.' }),
    type: PersonFieldTypeSchema,
  },
  { additionalProperties: false },
);
export type NewPersonField = Static<typeof NewPersonField>;
