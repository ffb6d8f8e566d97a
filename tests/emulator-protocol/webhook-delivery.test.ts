import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { WebhookDispatcher } from '../../src/emulator/webhooks/webhook-dispatcher.ts';
import type {
  RecordChangedEvent,
  WebhookEndpoint,
  WebhookStep,
} from '../../src/emulator/webhooks/webhook-types.ts';
import { adminToken, openEmulator } from '../emulator/emulator-test-context.ts';

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
let status = 200;
const receiver = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    received.push({ url: req.url ?? '', headers: req.headers, body });
    res.writeHead(status).end();
  });
});
let hookUrl = '';

before(async () => {
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(() => receiver.close());

const contactId = '6d81597f-0f9f-e711-80e6-00155db64062';
const userId = '75c2dd13-0000-0000-0000-000000000003';

function setup(endpoint: Partial<WebhookEndpoint>, step: Partial<WebhookStep> = {}) {
  const logLines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const dispatcher = new WebhookDispatcher({
    registrations: () => ({
      endpoints: [{ id: 'EP-1', contract: 8, url: hookUrl, authtype: 4, authvalue: 'key-123', ...endpoint }],
      steps: [
        {
          id: 'step-1',
          message: 'Update',
          entity: 'contact',
          filteringAttributes: 'firstname',
          stage: 40,
          mode: 1,
          endpointId: 'ep-1',
          enabled: true,
          ...step,
        },
      ],
    }),
    organization: { id: 'org-1', name: 'emulator', host: '127.0.0.1:8081', businessUnitId: 'bu-1' },
    logger: createLogger({ level: 'debug', destination }),
    timeoutMs: 5000,
  });
  return { dispatcher, logLines };
}

const event: RecordChangedEvent = {
  message: 'Update',
  entity: 'contact',
  id: contactId,
  userId,
  attributes: [{ name: 'firstname', type: 'String', value: 'James' }],
};

test('an update POSTs the RemoteExecutionContext with the documented headers and the key as ?code=', async () => {
  received.length = 0;
  const { dispatcher } = setup({});
  dispatcher.onRecordChanged(event);
  assert.equal(received.length, 0, 'onRecordChanged returns before delivering');
  await dispatcher.idle();
  assert.equal(received.length, 1);
  const [hook] = received;
  assert.equal(hook.url, '/hook?code=key-123');
  assert.equal(hook.headers['content-type'], 'application/json');
  assert.equal(hook.headers['x-ms-dynamics-organization'], '127.0.0.1:8081');
  assert.equal(hook.headers['x-ms-dynamics-entity-name'], 'contact');
  assert.equal(hook.headers['x-ms-dynamics-request-name'], 'Update');
  assert.match(String(hook.headers['x-ms-correlation-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(hook.headers['x-ms-dynamics-msg-size-exceeded'], undefined);
  assert.ok(hook.body.includes('"Entity:http:\\/\\/schemas.microsoft.com\\/xrm\\/2011\\/Contracts"'));
  const context = JSON.parse(hook.body) as Record<string, unknown>;
  assert.equal(context.MessageName, 'Update');
  assert.equal(context.PrimaryEntityId, contactId);
  assert.equal(context.CorrelationId, hook.headers['x-ms-correlation-request-id']);
  assert.equal(context.InitiatingUserId, userId);
  assert.deepEqual(
    dispatcher.stats(),
    { delivered: 1, failed: 0, retried: 0, dropped: 0, reordered: 0 },
    'GET /_emulator/stats counts it',
  );
});

test('http-header auth arrives as headers; steps whose filter misses do not fire', async () => {
  received.length = 0;
  const { dispatcher } = setup({
    authtype: 5,
    authvalue: '<settings><setting name="x-api-key" value="s3cret" /></settings>',
  });
  dispatcher.onRecordChanged({ ...event, attributes: [{ name: 'lastname', type: 'String', value: 'x' }] });
  dispatcher.onRecordChanged(event);
  await dispatcher.idle();
  assert.equal(received.length, 1);
  assert.equal(received[0].headers['x-api-key'], 's3cret');
  assert.equal(received[0].url, '/hook');
});

test('an oversized payload is trimmed and flagged with x-ms-dynamics-msg-size-exceeded', async () => {
  received.length = 0;
  const { dispatcher } = setup({});
  dispatcher.onRecordChanged({
    ...event,
    attributes: [{ name: 'firstname', type: 'String', value: 'x'.repeat(300 * 1024) }],
  });
  await dispatcher.idle();
  assert.equal(received[0].headers['x-ms-dynamics-msg-size-exceeded'], 'true');
  const context = JSON.parse(received[0].body) as Record<string, unknown>;
  assert.deepEqual(context.InputParameters, []);
  assert.ok(received[0].body.length < 256 * 1024);
});

test('failed deliveries are logged without the secret and never thrown', async () => {
  received.length = 0;
  status = 500;
  try {
    const { dispatcher, logLines } = setup({
      authtype: 6,
      authvalue: '<settings><setting name="sig" value="topsecret" /></settings>',
    });
    dispatcher.onRecordChanged(event);
    await dispatcher.idle();
    assert.equal(received.length, 1);
    assert.equal(received[0].url, '/hook?sig=topsecret');
    const failure = logLines.find((line) => line.msg === 'webhook delivery failed');
    assert.ok(failure, 'a warning is logged');
    assert.equal(failure.reason, 'the endpoint answered HTTP 500');
    assert.equal(failure.target, hookUrl);
    assert.doesNotMatch(JSON.stringify(logLines), /topsecret/);
  } finally {
    status = 200;
  }
});

test('an unreachable endpoint and a malformed auth value are logged failures', async () => {
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
  closed.close();
  await once(closed, 'close');
  const unreachable = setup({ url: deadUrl });
  unreachable.dispatcher.onRecordChanged(event);
  await unreachable.dispatcher.idle();
  assert.ok(unreachable.logLines.some((line) => line.msg === 'webhook delivery failed'));

  const malformed = setup({ authtype: 5, authvalue: 'Authorization: Basic abc' });
  malformed.dispatcher.onRecordChanged(event);
  await malformed.dispatcher.idle();
  const failure = malformed.logLines.find((line) => line.msg === 'webhook delivery failed');
  assert.match(String(failure?.reason), /invalid http headers in authValue/);
});

test('end to end: registering a serviceendpoint and a step makes the emulator POST on Update (reference §11)', async () => {
  received.length = 0;
  const ctx = await openEmulator();
  try {
    const admin = { token: adminToken };
    const updateId = emulatorFixtures.sdkMessageIds.Update;
    const filters = await ctx.request(
      'GET',
      `sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode eq 'contact' and _sdkmessageid_value eq ${updateId}`,
      admin,
    );
    assert.equal(filters.status, 200, filters.text);
    const filterId = filters.json.value[0].sdkmessagefilterid as string;
    const endpoint = await ctx.request('POST', 'serviceendpoints', {
      ...admin,
      body: {
        name: 'test hook',
        contract: 8,
        url: hookUrl,
        authtype: 4,
        authvalue: 'e2e-key',
        messageformat: 2,
      },
    });
    assert.equal(endpoint.status, 204, endpoint.text);
    const endpointUrl = endpoint.headers.get('odata-entityid') ?? '';
    const step = await ctx.request('POST', 'sdkmessageprocessingsteps', {
      ...admin,
      body: {
        name: 'contact firstname webhook',
        'eventhandler_serviceendpoint@odata.bind': endpointUrl,
        'sdkmessageid@odata.bind': `/sdkmessages(${updateId})`,
        'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filterId})`,
        stage: 40,
        mode: 1,
        rank: 1,
        supporteddeployment: 0,
        filteringattributes: 'firstname',
        asyncautodelete: true,
      },
    });
    assert.equal(step.status, 204, step.text);

    const contact = await ctx.request('GET', 'contacts?$top=1&$select=contactid', admin);
    const contactId = contact.json.value[0].contactid as string;
    assert.equal(
      (await ctx.request('PATCH', `contacts(${contactId})`, { body: { lastname: 'Nofire' } })).status,
      204,
    );
    assert.equal(
      (await ctx.request('PATCH', `contacts(${contactId})`, { body: { firstname: 'Hooked' } })).status,
      204,
    );
    await ctx.emulator.webhooks.idle();

    assert.equal(received.length, 1, 'only the firstname change matches the filter');
    assert.equal(new URL(received[0].url, hookUrl).pathname, '/hook');
    assert.equal(new URL(received[0].url, hookUrl).searchParams.get('code'), 'e2e-key');
    assert.equal(received[0].headers['x-ms-dynamics-request-name'], 'Update');
    const context = JSON.parse(received[0].body) as {
      PrimaryEntityId: string;
      InitiatingUserId: string;
      OwningExtension: { Id: string };
      InputParameters: Array<{ value: { Attributes: Array<{ key: string; value: unknown }> } }>;
    };
    assert.equal(context.PrimaryEntityId, contactId);
    assert.equal(context.InitiatingUserId, emulatorFixtures.syncUserId);
    const attributes = context.InputParameters[0].value.Attributes;
    assert.deepEqual(
      attributes.find((a) => a.key === 'firstname'),
      { key: 'firstname', value: 'Hooked' },
    );
    assert.ok(attributes.some((a) => a.key === 'contactid'));
  } finally {
    await ctx.close();
  }
});
