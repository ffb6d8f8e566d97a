/**
 * What Syncline takes from a Dataverse webhook (a serialized `RemoteExecutionContext`, reference §11): only
 * *which* records of which entity changed, never their values (B2.8). A body may be stale, reordered,
 * duplicated or trimmed (above 256 KB Dataverse drops InputParameters); the ids it names are read again.
 */
export interface WebhookNotification {
  /** The SDK message: `Create`, `Update`, `Delete`, `Merge`, … */
  readonly message: string;
  /** Logical name of the primary entity, e.g. `contact`. */
  readonly entity: string;
  /** The records to read again, lower-case GUIDs: the primary record, and a Merge's subordinate. */
  readonly ids: readonly string[];
  /** The change's message was Delete: a record the CRM no longer has is applied as deleted (B3.6). */
  readonly deleted: boolean;
  /** The user whose request made the change (`InitiatingUserId`), when the body names one. */
  readonly initiatingUserId: string | undefined;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Dataverse logical names: lower-case letters, digits and underscores. */
const logicalNamePattern = /^[a-z][a-z0-9_]{0,127}$/;

/** The notification in a webhook body, or undefined when the body is not a `RemoteExecutionContext`. */
export function parseRemoteExecutionContext(body: unknown): WebhookNotification | undefined {
  if (!isObject(body)) return undefined;
  const message = body.MessageName;
  const entity = body.PrimaryEntityName;
  const primaryId = guidOf(body.PrimaryEntityId);
  if (typeof message !== 'string' || message === '' || message.length > 128) return undefined;
  if (typeof entity !== 'string' || !logicalNamePattern.test(entity) || primaryId === undefined)
    return undefined;
  const ids = new Set([primaryId]);
  if (message === 'Merge') {
    // Merge: the master is the Target, the subordinate an input parameter; both changed (B3.5).
    const target = parameter(body.InputParameters, 'Target');
    const master = guidOf(isObject(target) ? target.Id : undefined);
    const subordinate = guidOf(parameter(body.InputParameters, 'SubordinateId'));
    for (const id of [master, subordinate]) if (id !== undefined) ids.add(id);
  }
  return {
    message,
    entity,
    ids: [...ids],
    deleted: message === 'Delete',
    initiatingUserId: guidOf(body.InitiatingUserId),
  };
}

/** A value of the `[{key, value}]` list the WCF serializer writes for parameter collections. */
function parameter(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return undefined;
  const entry: unknown = list.find((item) => isObject(item) && item.key === key);
  return isObject(entry) ? entry.value : undefined;
}

function guidOf(value: unknown): string | undefined {
  return typeof value === 'string' && guidPattern.test(value) ? value.toLowerCase() : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
