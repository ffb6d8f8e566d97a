import { Type, type Static } from 'typebox';
import { fieldPolicies } from '../../domain/field-policy.ts';
import { syncFieldStates, type SyncFieldView } from '../../domain/sync-field.ts';

/** Dataverse logical names are lower case: a letter, then letters, digits or `_` (e.g. `new_tier`). */
const logicalNamePattern = '^[a-z][a-z0-9_]{0,127}$';

/** Per-field policy overrides (B4.6): the domain's list, so the API cannot drift from the engine. */
const FieldPolicy = Type.Enum([...fieldPolicies]);

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
    state: Type.Enum([...syncFieldStates]),
    stateReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the field is inaccessible or quarantined (B5.6).',
    }),
    policy: Type.Union([FieldPolicy, Type.Null()], {
      description: 'Per-field policy override (B4.6); null = the entity rule (B4.3).',
    }),
  },
  { title: 'SyncField' },
);

export const SyncFieldList = Type.Array(SyncField);

// The contract and the domain type must describe the same object: this fails to compile when they drift.
export type SyncFieldContractMatches = [Static<typeof SyncField>, SyncFieldView] extends [
  SyncFieldView,
  Static<typeof SyncField>,
]
  ? true
  : never;
const _contractMatches: SyncFieldContractMatches = true;
void _contractMatches;

/**
 * Body of `PUT /api/v1/sync/fields`: entity → the attributes to sync (B5.4–B5.6). Names are checked against the
 * CRM's metadata by the engine; here only their shape.
 */
export const SyncFieldSelection = Type.Record(
  Type.String({ pattern: logicalNamePattern }),
  Type.Array(
    Type.Union([
      Type.String({ pattern: logicalNamePattern }),
      Type.Object(
        {
          attribute: Type.String({ pattern: logicalNamePattern }),
          policy: Type.Union([FieldPolicy, Type.Null()]),
        },
        { additionalProperties: false, description: 'An attribute with a per-field policy override (B4.6).' },
      ),
    ]),
    { maxItems: 2000, uniqueItems: true },
  ),
  {
    // Keys that are not logical names are errors, not ignored extras.
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 200,
    title: 'SyncFieldSelection',
    description:
      'Entity logical name → attribute logical names, e.g. `{"lead": ["firstname", "new_tier"]}`; an item may be ' +
      '`{"attribute": "jobtitle", "policy": "crm-wins"}` to override the collision rule of that field (B4.6).',
  },
);
export type SyncFieldSelection = Static<typeof SyncFieldSelection>;
