import { Type, type Static } from 'typebox';

const guid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * The body Dataverse posts to a webhook: a serialized `RemoteExecutionContext` (reference §11). Only which record
 * of which entity changed is used (B2.8); every other property is accepted and ignored, values included.
 */
export const DataverseWebhookBody = Type.Object(
  {
    MessageName: Type.String({ minLength: 1, maxLength: 128, description: 'Create, Update, Delete, Merge…' }),
    PrimaryEntityName: Type.String({
      pattern: '^[a-z][a-z0-9_]{0,127}$',
      description: 'Logical name of the changed record’s table, e.g. `contact`.',
    }),
    PrimaryEntityId: Type.String({ pattern: guid, description: 'The changed record’s id.' }),
    InputParameters: Type.Optional(
      Type.Array(Type.Unknown(), { description: 'Merge: `Target` and `SubordinateId` name both records.' }),
    ),
    InitiatingUserId: Type.Optional(Type.String()),
  },
  { additionalProperties: true, title: 'RemoteExecutionContext' },
);
export type DataverseWebhookBody = Static<typeof DataverseWebhookBody>;

export const DataverseWebhookQuery = Type.Object(
  {
    code: Type.Optional(
      Type.String({
        description: 'The webhook key, as Dataverse sends a WebhookKey (`SYNCLINE_WEBHOOK_SECRET`).',
      }),
    ),
  },
  { additionalProperties: true },
);
export type DataverseWebhookQuery = Static<typeof DataverseWebhookQuery>;

export const DataverseWebhookAccepted = Type.Object(
  {
    queued: Type.Integer({
      minimum: 0,
      description:
        'Records queued to be read again (0: an entity Syncline does not sync, or its own write). Applied within seconds.',
    }),
  },
  { title: 'DataverseWebhookAccepted' },
);
export type DataverseWebhookAccepted = Static<typeof DataverseWebhookAccepted>;
