import assert from 'node:assert/strict';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, type EmulatorContext } from './emulator-test-context.ts';

const admin = { token: adminToken };
const idIn = (entityUrl: string) => /\(([^)]+)\)$/.exec(entityUrl)?.[1] ?? '';

/** `POST /serviceendpoints` as an administrator; returns the new row's id and its OData-EntityId URL. */
export async function createEndpoint(ctx: EmulatorContext, body: Record<string, unknown>) {
  const response = await ctx.request('POST', 'serviceendpoints', { ...admin, body });
  assert.equal(response.status, 204, response.text);
  const url = response.headers.get('odata-entityid') ?? '';
  return { url, id: idIn(url) };
}

/**
 * Registers a PostOperation step for `message` on `entity` the way reference §11 shows (asynchronous unless
 * `extra` says otherwise); returns the step id.
 */
export async function registerStep(
  ctx: EmulatorContext,
  endpointUrl: string,
  extra: Record<string, unknown> = {},
  on: { entity?: string; message?: 'Create' | 'Update' | 'Delete' } = {},
): Promise<string> {
  const messageId = emulatorFixtures.sdkMessageIds[on.message ?? 'Update'];
  const filters = await ctx.request(
    'GET',
    `sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode eq '${on.entity ?? 'contact'}' and _sdkmessageid_value eq ${messageId}`,
    admin,
  );
  assert.equal(filters.status, 200, filters.text);
  const response = await ctx.request('POST', 'sdkmessageprocessingsteps', {
    ...admin,
    body: {
      name: `${on.entity ?? 'contact'} ${on.message ?? 'Update'} webhook`,
      'eventhandler_serviceendpoint@odata.bind': endpointUrl,
      'sdkmessageid@odata.bind': `/sdkmessages(${messageId})`,
      'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filters.json.value[0].sdkmessagefilterid as string})`,
      stage: 40,
      mode: 1,
      rank: 1,
      supporteddeployment: 0,
      asyncautodelete: true,
      ...extra,
    },
  });
  assert.equal(response.status, 204, response.text);
  return idIn(response.headers.get('odata-entityid') ?? '');
}

/** Deletes the steps, then their endpoint. */
export async function removeWebhook(ctx: EmulatorContext, endpointId: string, stepIds: readonly string[]) {
  for (const stepId of stepIds) await ctx.request('DELETE', `sdkmessageprocessingsteps(${stepId})`, admin);
  await ctx.request('DELETE', `serviceendpoints(${endpointId})`, admin);
}

/** Sets a contact's first name as the sync user and waits until the webhooks it fired are delivered. */
export async function renameContact(ctx: EmulatorContext, firstname: string, index = 0): Promise<string> {
  const contacts = await ctx.request(
    'GET',
    `contacts?$top=${index + 1}&$select=contactid&$orderby=contactid`,
  );
  const id = contacts.json.value[index].contactid as string;
  const patched = await ctx.request('PATCH', `contacts(${id})`, { body: { firstname } });
  assert.equal(patched.status, 204, patched.text);
  await ctx.emulator.webhooks.idle();
  return id;
}
