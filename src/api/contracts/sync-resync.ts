import { Type, type Static } from 'typebox';

/**
 * Body of `POST /api/v1/sync/resync` (B8.2): `{personId}` or `{entity, crmId}`. The schema checks each property;
 * the route checks that exactly one form is given, because a schema union's errors (one per alternative) would
 * not tell a client what it did wrong.
 */
export const ResyncBody = Type.Object(
  {
    personId: Type.Optional(Type.String({ format: 'uuid', description: 'The person to resync.' })),
    entity: Type.Optional(Type.Enum(['lead', 'contact'], { description: 'With `crmId`.' })),
    crmId: Type.Optional(
      Type.String({ format: 'uuid', description: 'The CRM record id (GUID), with `entity`.' }),
    ),
  },
  { additionalProperties: false, description: 'Either `{personId}` or `{entity, crmId}`, not both.' },
);
export type ResyncBody = Static<typeof ResyncBody>;

export const ResyncResult = Type.Object(
  {
    personId: Type.String(),
    entity: Type.Enum(['lead', 'contact']),
    crmId: Type.String(),
    toMarketing: Type.Immutable(
      Type.Array(Type.String(), { description: 'Person fields written from the CRM.' }),
    ),
    toCrm: Type.Immutable(Type.Array(Type.String(), { description: 'Fields written to the CRM.' })),
  },
  { title: 'ResyncResult' },
);
