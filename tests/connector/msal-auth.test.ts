import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import {
  emulatorFixtures,
  syncUserApplicationIdAt,
  syncUserIdAt,
} from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { routeIdentityRequest } from '../../src/emulator/tokens/identity-routes.ts';
import {
  createSelfSignedCertificate,
  type TlsIdentity,
} from '../../src/emulator/tokens/self-signed-certificate.ts';
import { silentLogger } from '../../src/logging/logger.ts';

// Entra ID client credentials through @azure/msal-node against the emulator's HTTPS token endpoint (its
// identity routes, served here next to a WhoAmI that only accepts the issued token), trusted through a private
// CA on the connector's undici dispatcher.

const issued = 'issued-access-token-0123456789';
const secret = 'sync-client-secret';
let server: Server;
let identity: TlsIdentity;
let origin = '';
let tokenRequests = 0;
const dispatchers: Agent[] = [];

before(async () => {
  identity = await createSelfSignedCertificate();
  server = createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url?.endsWith('/api/data/v9.2/WhoAmI()')) {
        const ok = req.headers.authorization === `Bearer ${issued}`;
        res
          .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
          .end(
            JSON.stringify(
              ok
                ? { UserId: 'u-sync', BusinessUnitId: 'b', OrganizationId: 'o' }
                : { error: { code: '0x80090313', message: 'Bearer token is invalid.' } },
            ),
          );
        return;
      }
      if (req.url?.includes('/oauth2/v2.0/token')) tokenRequests += 1;
      const response = routeIdentityRequest(
        {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers as Record<string, string>,
          body,
        },
        `https://${req.headers.host}`,
        { issueFor: (given) => (given === secret ? { accessToken: issued, expiresIn: 3599 } : undefined) },
      );
      if (response === undefined) res.writeHead(404).end();
      else res.writeHead(response.status, response.headers).end(response.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
  server.close();
});

function connector(clientSecret: string): DataverseConnector {
  const dispatcher = new Agent({ connect: { ca: identity.cert } });
  dispatchers.push(dispatcher);
  return new DataverseConnector({
    url: origin,
    auth: {
      kind: 'client-credentials',
      tenantId: '7a3b9c2d-0e1f-4a5b-8c6d-7e8f9a0b1c2d',
      clientId: '51f81489-12ee-4a9e-aaae-a2591f45987d',
      clientSecret,
      authorityHost: origin,
    },
    logger: silentLogger(),
    dispatcher,
  });
}

test('client credentials: MSAL gets a token from the configured authority host and the connector uses it', async () => {
  const crm = connector(secret);
  assert.equal((await crm.whoAmI()).userId, 'u-sync');
  const before = tokenRequests;
  await crm.getAttributePrivileges().catch(() => undefined);
  assert.equal(tokenRequests, before, 'MSAL serves the cached token for the next request');
  await crm.close();
});

test('B6.3: a wrong client secret is a pass-level auth error that never shows the secret', async () => {
  const crm = connector('wrong-secret-value');
  await assert.rejects(crm.whoAmI(), (error: unknown) => {
    assert.ok(isCrmError(error));
    assert.equal(error.errorClass, 'pass');
    assert.equal(error.code, 'CRM_AUTH_FAILED');
    assert.match(error.message, /invalid_client/);
    assert.ok(!error.message.includes('wrong-secret-value'));
    return true;
  });
  await crm.close();
});

test('end to end: the emulator over HTTPS, MSAL client credentials with its sync secret → WhoAmI is the sync user', async () => {
  const emulator = await startEmulator({ port: 0, tls: identity, seed: { seed: 'empty' } });
  const dispatcher = new Agent({ connect: { ca: identity.cert } });
  dispatchers.push(dispatcher);
  const crm = new DataverseConnector({
    url: emulator.url,
    auth: {
      kind: 'client-credentials',
      tenantId: emulatorFixtures.tenantId,
      clientId: emulatorFixtures.syncUserApplicationId,
      // The emulator issues a sync-user token for a client secret equal to the sync token (interfaces.md §7).
      clientSecret: emulatorFixtures.defaultSyncToken,
      authorityHost: emulator.url,
    },
    logger: silentLogger(),
    dispatcher,
  });
  try {
    assert.equal((await crm.whoAmI()).userId, emulatorFixtures.syncUserId);
  } finally {
    await crm.close();
    await emulator.close();
  }
});

test('several application users: each gets its own token from its own secret; a bad one is named by position only', async () => {
  const secrets = ['first-app-secret', 'second-app-secret'];
  const emulator = await startEmulator({
    port: 0,
    tls: identity,
    seed: { seed: 'empty' },
    syncToken: secrets,
  });
  const dispatcher = new Agent({ connect: { ca: identity.cert } });
  dispatchers.push(dispatcher);
  const users = (given: readonly string[]) =>
    new DataverseConnector({
      url: emulator.url,
      auth: given.map((clientSecret, i) => ({
        kind: 'client-credentials' as const,
        tenantId: emulatorFixtures.tenantId,
        clientId: syncUserApplicationIdAt(i),
        clientSecret,
        authorityHost: emulator.url,
      })),
      logger: silentLogger(),
      dispatcher,
    });
  const both = users(secrets);
  const oneWrong = users([secrets[0], 'wrong-second-secret-5c1e']);
  try {
    // Two MSAL applications, two token caches: each token authenticates as its own systemuser.
    assert.deepEqual(
      (await both.identities()).map((user) => user.whoAmI?.userId),
      [syncUserIdAt(0), syncUserIdAt(1)],
    );
    const [good, bad] = await oneWrong.identities();
    assert.equal(good.whoAmI?.userId, syncUserIdAt(0));
    assert.ok(bad.error !== undefined);
    assert.equal(bad.error.code, 'CRM_AUTH_FAILED');
    assert.match(bad.error.message, /client credentials of application user #2 \(invalid_client\)/);
    assert.ok(!bad.error.message.includes('wrong-second-secret-5c1e'));
  } finally {
    await both.close();
    await oneWrong.close();
    await emulator.close();
  }
});
