import { Type, type Static } from 'typebox';

/** Contracts of the flow actions (interfaces.md §4 "Flow actions and campaigns", B7.1–B7.6). */

const CrmType = Type.Enum(['lead', 'contact']);
const OwnerId = Type.String({
  format: 'uuid',
  description: 'A CRM systemuser or team id; which one is looked up (B1.5).',
});

export const SyncToCrmBody = Type.Object(
  {
    syncAs: Type.Enum(['lead', 'contact'], {
      description: '`contact` creates a lead and qualifies it into a contact with no account.',
    }),
    ownerId: Type.Optional(OwnerId),
  },
  { additionalProperties: false, title: 'SyncToCrmBody' },
);
export type SyncToCrmBody = Static<typeof SyncToCrmBody>;

export const SyncToCrmResult = Type.Object(
  {
    status: Type.Enum(['created', 'already-synced']),
    crmType: CrmType,
    crmId: Type.String({ format: 'uuid' }),
  },
  { title: 'SyncToCrmResult' },
);

export const ChangeOwnerBody = Type.Object(
  { ownerId: OwnerId },
  { additionalProperties: false, title: 'ChangeOwnerBody' },
);
export type ChangeOwnerBody = Static<typeof ChangeOwnerBody>;

export const ChangeOwnerResult = Type.Object(
  {
    status: Type.Literal('assigned'),
    crmType: CrmType,
    crmId: Type.String({ format: 'uuid' }),
    ownerId: Type.String({ format: 'uuid' }),
    ownerType: Type.Enum(['systemuser', 'team']),
    synced: Type.Boolean({ description: 'The person was synced to the CRM first (B7.6).' }),
  },
  { title: 'ChangeOwnerResult' },
);

export const CreateTaskBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    dueInDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3650, description: 'Days until due (default 5).' }),
    ),
  },
  { additionalProperties: false, title: 'CreateTaskBody' },
);
export type CreateTaskBody = Static<typeof CreateTaskBody>;

export const CreateTaskResult = Type.Object(
  {
    status: Type.Literal('created'),
    taskId: Type.String({ format: 'uuid' }),
    crmType: CrmType,
    crmId: Type.String({ format: 'uuid' }),
    dueDate: Type.String({ format: 'date-time' }),
  },
  { title: 'CreateTaskResult' },
);
