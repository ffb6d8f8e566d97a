import { randomUUID } from 'node:crypto';
import type {
  WebhookInstallReport,
  WebhookRegistration,
  WebhookSpec,
  WebhookStep,
  WebhookStepKey,
} from '../connector.ts';
import type { DataverseHttp } from './dataverse-http.ts';

/**
 * B2.8's registration in Dataverse (reference §11): a `serviceendpoints` row of contract Webhook with WebhookKey
 * auth, and asynchronous post-operation `sdkmessageprocessingsteps` that invoke it. Microsoft shows the Plug-in
 * Registration Tool for this; over the Web API the same rows are written with the documented columns. Endpoints
 * are found by their exact URL, so install, status and uninstall need no state of their own.
 */

/** serviceendpoint.contract: Webhook. */
const webhookContract = 8;
/** serviceendpoint.authtype: Webhook Key, sent by Dataverse as `?code=<authvalue>`. */
const webhookKeyAuth = 4;
/** serviceendpoint.messageformat: Json. */
const jsonFormat = 2;
/** sdkmessageprocessingstep.stage: PostOperation (after the change committed, for asynchronous steps). */
const postOperation = 40;
/** sdkmessageprocessingstep.mode: Asynchronous. */
const asynchronous = 1;

export async function findWebhooks(http: DataverseHttp, url: string): Promise<WebhookRegistration[]> {
  // An organisation has few webhook endpoints: they are read all and matched here, which also spares the URL's
  // `:` and `/` inside a `$filter` string literal.
  const endpoints = await getRows(
    http,
    'serviceendpoints',
    'serviceendpointid,name,url,authtype',
    `contract eq ${webhookContract}`,
  );
  const registrations: WebhookRegistration[] = [];
  for (const endpoint of endpoints.filter((row) => row.url === url)) {
    const endpointId = String(endpoint.serviceendpointid);
    registrations.push({
      endpointId,
      name: String(endpoint.name ?? ''),
      url: String(endpoint.url ?? ''),
      authType: Number(endpoint.authtype ?? 0),
      steps: await stepsOf(http, endpointId),
    });
  }
  return registrations;
}

export async function installWebhook(http: DataverseHttp, spec: WebhookSpec): Promise<WebhookInstallReport> {
  // The endpoint with the most steps is kept, so a stray copy never costs the steps already registered.
  const found = await findWebhooks(http, spec.url);
  const [current, ...duplicates] = found.sort((a, b) => b.steps.length - a.steps.length);
  const removed: WebhookStepKey[] = [];
  for (const duplicate of duplicates) removed.push(...(await removeRegistration(http, duplicate)));

  const endpointId = current?.endpointId ?? randomUUID();
  const key = { authtype: webhookKeyAuth, authvalue: spec.key };
  if (current === undefined) {
    await http.send({
      method: 'POST',
      path: 'serviceendpoints',
      body: {
        serviceendpointid: endpointId,
        name: spec.name,
        contract: webhookContract,
        url: spec.url,
        messageformat: jsonFormat,
        description: 'Tells Syncline which records changed (near-real-time sync, B2.8).',
        ...key,
      },
    });
  } else {
    // The key cannot be read back (authvalue is write-only), so it is written every time: a changed secret
    // reaches Dataverse by installing again.
    await http.send({
      method: 'PATCH',
      path: `serviceendpoints(${endpointId})`,
      headers: { 'if-match': '*' },
      body: key,
      idempotent: true,
    });
  }

  const existing = [...(current?.steps ?? [])];
  const filters = await messageFilters(http, spec.steps);
  const report = { created: [] as WebhookStepKey[], enabled: [] as WebhookStepKey[] };
  const unchanged: WebhookStepKey[] = [];
  const unavailable: WebhookStepKey[] = [];
  for (const wanted of spec.steps) {
    const index = existing.findIndex(
      (step) => sameStep(step, wanted) && step.stage === postOperation && step.mode === asynchronous,
    );
    if (index >= 0) {
      const [step] = existing.splice(index, 1);
      if (step!.enabled) unchanged.push(wanted);
      else {
        await http.send({
          method: 'PATCH',
          path: `sdkmessageprocessingsteps(${step!.id})`,
          headers: { 'if-match': '*' },
          body: { statecode: 0, statuscode: 1 },
          idempotent: true,
        });
        report.enabled.push(wanted);
      }
      continue;
    }
    const filter = filters.get(keyOf(wanted));
    if (filter === undefined) {
      unavailable.push(wanted);
      continue;
    }
    await http.send({
      method: 'POST',
      path: 'sdkmessageprocessingsteps',
      body: {
        sdkmessageprocessingstepid: randomUUID(),
        name: `${spec.name}: ${wanted.message} of ${wanted.entity}`,
        'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${endpointId})`,
        'sdkmessageid@odata.bind': `/sdkmessages(${filter.messageId})`,
        'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filter.filterId})`,
        stage: postOperation,
        mode: asynchronous,
        rank: 1,
        supporteddeployment: 0,
        asyncautodelete: true,
      },
    });
    report.created.push(wanted);
  }
  // What is left is this endpoint's steps nobody wants any more (an entity no longer synced, a sync step).
  for (const step of existing) {
    await deleteRow(http, `sdkmessageprocessingsteps(${step.id})`);
    removed.push({ entity: step.entity, message: step.message });
  }
  return {
    endpointId,
    endpoint: current === undefined ? 'created' : 'updated',
    ...report,
    unchanged,
    removed,
    unavailable,
  };
}

export async function uninstallWebhook(http: DataverseHttp, url: string): Promise<WebhookRegistration[]> {
  const registrations = await findWebhooks(http, url);
  for (const registration of registrations) await removeRegistration(http, registration);
  return registrations;
}

/** Deletes a registration's steps, then its endpoint (Dataverse refuses an endpoint that steps still use). */
async function removeRegistration(
  http: DataverseHttp,
  registration: WebhookRegistration,
): Promise<WebhookStepKey[]> {
  for (const step of registration.steps) await deleteRow(http, `sdkmessageprocessingsteps(${step.id})`);
  await deleteRow(http, `serviceendpoints(${registration.endpointId})`);
  return registration.steps.map((step) => ({ entity: step.entity, message: step.message }));
}

/** A delete whose row is gone already (a retried uninstall, a concurrent one) is done. */
async function deleteRow(http: DataverseHttp, path: string): Promise<void> {
  await http.send({ method: 'DELETE', path, idempotent: true, acceptStatus: [404] });
}

async function stepsOf(http: DataverseHttp, endpointId: string): Promise<WebhookStep[]> {
  const rows = await getRows(
    http,
    'sdkmessageprocessingsteps',
    'sdkmessageprocessingstepid,stage,mode,statecode,_sdkmessageid_value,_sdkmessagefilterid_value',
    `_eventhandler_value eq ${endpointId}`,
  );
  const messageIds = unique(rows.map((row) => row._sdkmessageid_value));
  const filterIds = unique(rows.map((row) => row._sdkmessagefilterid_value));
  const messages = new Map(
    (await rowsIn(http, 'sdkmessages', 'sdkmessageid', 'name', messageIds)).map((row) => [
      String(row.sdkmessageid).toLowerCase(),
      String(row.name),
    ]),
  );
  const entities = new Map(
    (await rowsIn(http, 'sdkmessagefilters', 'sdkmessagefilterid', 'primaryobjecttypecode', filterIds)).map(
      (row) => [String(row.sdkmessagefilterid).toLowerCase(), String(row.primaryobjecttypecode)],
    ),
  );
  return rows.map((row) => ({
    id: String(row.sdkmessageprocessingstepid),
    message: messages.get(String(row._sdkmessageid_value).toLowerCase()) ?? '',
    // A step without a filter fires for every entity.
    entity: entities.get(String(row._sdkmessagefilterid_value).toLowerCase()) ?? '*',
    stage: Number(row.stage ?? 0),
    mode: Number(row.mode ?? 0),
    enabled: Number(row.statecode ?? 0) === 0,
  }));
}

interface MessageFilter {
  readonly messageId: string;
  readonly filterId: string;
}

/** The `sdkmessagefilters` row of every wanted message and entity that the organisation offers. */
async function messageFilters(
  http: DataverseHttp,
  wanted: readonly WebhookStepKey[],
): Promise<Map<string, MessageFilter>> {
  const names = unique(wanted.map((step) => step.message));
  const entities = unique(wanted.map((step) => step.entity));
  const found = new Map<string, MessageFilter>();
  if (names.length === 0) return found;
  const messages = await getRows(
    http,
    'sdkmessages',
    'sdkmessageid,name',
    names.map((name) => `name eq ${literal(name)}`).join(' or '),
  );
  const nameOf = new Map(messages.map((row) => [String(row.sdkmessageid).toLowerCase(), String(row.name)]));
  if (nameOf.size === 0) return found;
  const filters = await getRows(
    http,
    'sdkmessagefilters',
    'sdkmessagefilterid,primaryobjecttypecode,_sdkmessageid_value',
    `(${[...nameOf.keys()].map((id) => `_sdkmessageid_value eq ${id}`).join(' or ')}) and ` +
      `(${entities.map((entity) => `primaryobjecttypecode eq ${literal(entity)}`).join(' or ')})`,
  );
  for (const row of filters) {
    const messageId = String(row._sdkmessageid_value).toLowerCase();
    const key = keyOf({ entity: String(row.primaryobjecttypecode), message: nameOf.get(messageId) ?? '' });
    if (!found.has(key)) found.set(key, { messageId, filterId: String(row.sdkmessagefilterid) });
  }
  return found;
}

async function rowsIn(
  http: DataverseHttp,
  entitySet: string,
  key: string,
  columns: string,
  ids: readonly string[],
): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const values = ids.map((id) => `"${id}"`).join(',');
  return getRows(
    http,
    entitySet,
    `${key},${columns}`,
    `Microsoft.Dynamics.CRM.In(PropertyName='${key}',PropertyValues=[${values}])`,
  );
}

async function getRows(
  http: DataverseHttp,
  entitySet: string,
  select: string,
  filter: string,
): Promise<Record<string, unknown>[]> {
  const response = await http.send({
    method: 'GET',
    path: `${entitySet}?$select=${select}&$filter=${encodeURIComponent(filter)}`,
  });
  const body = JSON.parse(response.text) as { value?: Record<string, unknown>[] };
  return body.value ?? [];
}

/** An OData string literal: single quotes doubled. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function unique(values: readonly unknown[]): string[] {
  return [...new Set(values.filter((value): value is string => typeof value === 'string'))];
}

function sameStep(a: WebhookStepKey, b: WebhookStepKey): boolean {
  return keyOf(a) === keyOf(b);
}

function keyOf(step: WebhookStepKey): string {
  return `${step.entity.toLowerCase()}/${step.message.toLowerCase()}`;
}
