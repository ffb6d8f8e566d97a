import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { buildEmulator, type Emulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';

/**
 * Describing an entity reads its attributes and the eight casts that carry their details (S3: seven entities'
 * seventy reads queued behind the concurrency limit before the first page). They go as one `$batch` of GETs;
 * an organisation that refuses GETs in a batch gets them alone, with the same description.
 */
describe('describing an entity: its attribute reads in one $batch, read alone when refused', () => {
  let emulator: Emulator;
  let url: string;
  let refuseGetBatches = false;
  const seen: { method: string; url: string }[] = [];
  const connectors: DataverseConnector[] = [];

  const connector = () => {
    const crm = new DataverseConnector({
      url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
    });
    connectors.push(crm);
    return crm;
  };

  before(async () => {
    emulator = buildEmulator({ seed: { seed: 'demo', contacts: 5, leads: 2, accounts: 1 } });
    emulator.app.addHook('preHandler', async (request, reply) => {
      seen.push({ method: request.method, url: decodeURIComponent(request.url) });
      const body = typeof request.body === 'string' ? request.body : '';
      if (refuseGetBatches && request.url.endsWith('/$batch') && body.includes('\r\nGET ')) {
        return reply
          .code(400)
          .header('content-type', 'application/json')
          .send({ error: { code: '0x80048d19', message: 'GET is not supported in this batch.' } });
      }
    });
    await emulator.app.listen({ host: '127.0.0.1', port: 0 });
    const address = emulator.app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  beforeEach(() => {
    seen.length = 0;
    refuseGetBatches = false;
  });
  after(async () => {
    await Promise.all(connectors.map((crm) => crm.close()));
    await emulator.app.close();
  });

  const attributeReads = () => seen.filter((r) => r.method === 'GET' && r.url.includes('/Attributes'));
  const batches = () => seen.filter((r) => r.method === 'POST' && r.url.endsWith('/$batch'));

  test('one $batch carries the attribute reads; refused, they go alone and describe the same', async () => {
    const batched = await connector().describeEntity('contact');
    assert.equal(batches().length, 1, 'one $batch');
    assert.deepEqual(attributeReads(), [], 'no attribute read alone');

    seen.length = 0;
    refuseGetBatches = true;
    const alone = await connector().describeEntity('contact');
    assert.equal(batches().length, 1, 'the batch was tried once');
    assert.equal(attributeReads().length, 9, 'then the attributes and the eight casts alone');

    assert.deepEqual(alone, batched);
    const status = batched.attributes.find((a) => a.logicalName === 'statuscode');
    assert.ok(
      status?.options !== undefined && status.options.length > 0,
      'the casts’ details arrived (options)',
    );
    const email = batched.attributes.find((a) => a.logicalName === 'emailaddress1');
    assert.equal(typeof email?.maxLength, 'number', 'MaxLength arrived');
  });
});
