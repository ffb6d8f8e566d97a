import { Type, type Static } from 'typebox';

/** Dataverse logical names are lower case: a letter, then letters, digits or `_` (e.g. `new_tier`). */
const logicalNamePattern = '^[a-z][a-z0-9_]{0,127}$';

/** One CRM attribute and its sync state (`GET /api/v1/sync/fields`, B5). */
export const SyncField = Type.Object(
  {
    entity: Type.String(),
    attribute: Type.String(),
    personField: Type.Union([Type.String(), Type.Null()], {
      description: 'The person field it maps to (B5.2); null for one-way entities.',
    }),
    type: Type.String(),
    access: Type.Object(
      { read: Type.Boolean(), create: Type.Boolean(), update: Type.Boolean() },
      { description: 'What the sync user may do with the attribute (B5.1).' },
    ),
    selected: Type.Boolean(),
    state: Type.Enum(['available', 'inaccessible', 'synced', 'backfilling', 'quarantined']),
    stateReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the field is inaccessible or quarantined (B5.6).',
    }),
  },
  { title: 'SyncField' },
);

export const SyncFieldList = Type.Array(SyncField);

/**
 * Body of `PUT /api/v1/sync/fields`: entity → the attributes to sync (B5.4–B5.6). Names are checked against the
 * CRM's metadata by the engine; here only their shape.
 */
export const SyncFieldSelection = Type.Record(
  Type.String({ pattern: logicalNamePattern }),
  Type.Array(Type.String({ pattern: logicalNamePattern }), { maxItems: 2000, uniqueItems: true }),
  {
    // Keys that are not logical names are errors, not ignored extras.
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 200,
    title: 'SyncFieldSelection',
    description: 'Entity logical name → attribute logical names, e.g. `{"lead": ["firstname", "new_tier"]}`.',
  },
);
export type SyncFieldSelection = Static<typeof SyncFieldSelection>;
