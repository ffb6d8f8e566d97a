import { Type } from 'typebox';

const PreviewWrite = Type.Object(
  {
    entity: Type.String(),
    crmId: Type.Union([Type.String(), Type.Null()]),
    personId: Type.Union([Type.String(), Type.Null()]),
    operation: Type.Enum(['create', 'update', 'delete']),
    fields: Type.Record(Type.String(), Type.Unknown(), { description: 'The values that would be written.' }),
  },
  { title: 'PreviewWrite' },
);

/** `GET /api/v1/sync/preview` (B8.2): what the next pass would write, per side; nothing is written. */
export const SyncPreview = Type.Object(
  {
    toCrm: Type.Immutable(Type.Array(PreviewWrite)),
    toMarketing: Type.Immutable(Type.Array(PreviewWrite)),
    truncated: Type.Boolean({ description: 'True when the preview stopped at its size limit.' }),
  },
  { title: 'SyncPreview' },
);
