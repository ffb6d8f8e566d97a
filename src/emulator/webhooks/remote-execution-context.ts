import { randomUUID } from 'node:crypto';
import type {
  RecordChangedEvent,
  WebhookAttribute,
  WebhookOrganization,
  WebhookStep,
} from './webhook-types.ts';

/** The serialized `RemoteExecutionContext` a webhook receives (reference §11); keys in the service's order. */
export type RemoteExecutionContext = Record<string, unknown>;

const contracts = 'http://schemas.microsoft.com/xrm/2011/Contracts';
const zeroGuid = '00000000-0000-0000-0000-000000000000';

/** WCF DataContractJsonSerializer date: `/Date(<ms>)/` (becomes `\/Date(…)\/` on the wire). */
export function wcfDate(ms: number, withOffset = false): string {
  return `/Date(${ms}${withOffset ? '+0000' : ''})/`;
}

function entityReference(logicalName: string, id: string, name: string | null = null) {
  return {
    __type: `EntityReference:${contracts}`,
    Id: id,
    KeyAttributes: [],
    LogicalName: logicalName,
    Name: name,
    RowVersion: null,
  };
}

function entity(logicalName: string, id: string, attributes: readonly { key: string; value: unknown }[]) {
  return {
    __type: `Entity:${contracts}`,
    Attributes: attributes,
    EntityState: null,
    FormattedValues: [],
    Id: id,
    KeyAttributes: [],
    LogicalName: logicalName,
    RelatedEntities: [],
    RowVersion: null,
  };
}

/** A stored value as the SDK's data contract serializes it. */
function sdkValue(attribute: WebhookAttribute): unknown {
  const { type, value } = attribute;
  if (value === null) return null;
  switch (type) {
    case 'DateTime':
      return typeof value === 'number' ? wcfDate(value) : value;
    case 'Money':
      return { __type: `Money:${contracts}`, Value: value };
    case 'Picklist':
    case 'State':
    case 'Status':
      return { __type: `OptionSetValue:${contracts}`, Value: value };
    case 'MultiSelectPicklist':
      return String(value)
        .split(',')
        .filter((v) => v !== '')
        .map((v) => ({ __type: `OptionSetValue:${contracts}`, Value: Number(v) }));
    case 'Lookup':
    case 'Customer':
    case 'Owner':
      return entityReference(attribute.target ?? '', String(value));
    default:
      return value;
  }
}

/**
 * Builds the context for one step and one committed change. Create's Target is the new entity (and
 * OutputParameters carry its `id`); Update's Target holds the request's attributes, the record id and the
 * columns the platform set with them (modifiedon, modifiedby…), while the parent (stage 30) context's Target
 * has only the request's attributes and the id, as in Microsoft's example body ("Use webhooks to create
 * external handlers for server events"); Delete's Target is an EntityReference. Async steps get the
 * `AsynchronousStepPrimaryName` post image (primary name and id).
 */
export function buildRemoteExecutionContext(
  event: RecordChangedEvent,
  step: WebhookStep,
  organization: WebhookOrganization,
  ids: { correlationId: string; operationId: string } = {
    correlationId: randomUUID(),
    operationId: randomUUID(),
  },
): RemoteExecutionContext {
  const at = event.at ?? Date.now();
  const keyValues = (list: readonly WebhookAttribute[]) =>
    list.map((a) => ({ key: a.name, value: sdkValue(a) }));
  const targetOf = (attributes: readonly WebhookAttribute[]) =>
    event.message === 'Delete'
      ? entityReference(event.entity, event.id)
      : entity(event.entity, event.id, keyValues(attributes));
  const target = targetOf([...event.attributes, ...(event.platformAttributes ?? [])]);
  const parentTarget = targetOf(event.attributes);
  const outputParameters = event.message === 'Create' ? [{ key: 'id', value: event.id }] : [];
  const postImages =
    step.mode === 1 && event.message !== 'Delete' && event.primaryName !== undefined
      ? [
          {
            key: 'AsynchronousStepPrimaryName',
            value: entity(event.entity, event.id, [
              { key: event.primaryName.attribute, value: event.primaryName.value },
              ...(event.primaryIdAttribute === undefined
                ? []
                : [{ key: event.primaryIdAttribute, value: event.id }]),
            ]),
          },
        ]
      : [];
  const shared = (
    stage: number,
    mode: number,
    targetValue: unknown,
    owningExtension: unknown,
    parentContext: unknown,
  ) => ({
    BusinessUnitId: organization.businessUnitId,
    CorrelationId: ids.correlationId,
    Depth: 1,
    InitiatingUserId: event.userId,
    InputParameters: [{ key: 'Target', value: targetValue }],
    IsExecutingOffline: false,
    IsInTransaction: mode === 0,
    IsOfflinePlayback: false,
    IsolationMode: 1,
    MessageName: event.message,
    Mode: mode,
    OperationCreatedOn: wcfDate(at, true),
    OperationId: ids.operationId,
    OrganizationId: organization.id,
    OrganizationName: organization.name,
    OutputParameters: outputParameters,
    OwningExtension: owningExtension,
    ParentContext: parentContext,
    PostEntityImages: stage === 40 ? postImages : [],
    PreEntityImages: [],
    PrimaryEntityId: event.id,
    PrimaryEntityName: event.entity,
    RequestId: null,
    SecondaryEntityName: 'none',
    SharedVariables: [],
    Stage: stage,
    UserId: event.userId,
  });
  // The parent is the platform's main operation (stage 30), as in the service's payloads.
  const parent = shared(30, 0, parentTarget, entityReference('sdkmessageprocessingstep', zeroGuid), null);
  return shared(
    40,
    step.mode,
    target,
    entityReference('sdkmessageprocessingstep', step.id, step.name ?? null),
    parent,
  );
}

/** WCF escapes every `/` as `\/` (`"\/Date(…)\/"`, `"Entity:http:\/\/schemas…"`); `\/` is valid JSON. */
export function serializeContext(context: RemoteExecutionContext): string {
  return JSON.stringify(context).replaceAll('/', '\\/');
}

/** Dataverse drops the bulky parts of a context above 256 KB and says so in a header (reference §11). */
export const maxContextBytes = 256 * 1024;

export function trimOversizedContext(context: RemoteExecutionContext): RemoteExecutionContext {
  return { ...context, InputParameters: [], ParentContext: null, PostEntityImages: [], PreEntityImages: [] };
}
