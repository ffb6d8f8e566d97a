import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  createSelfSignedCertificate,
  writeCertificatePem,
  type TlsIdentity,
} from '../../src/emulator/tokens/self-signed-certificate.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { syncToken } from '../emulator/emulator-test-context.ts';

// Issue 2 acceptance 3: @azure/msal-node obtains a token from the emulator's HTTPS token endpoint, and the
// emulator accepts it.
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let identity: TlsIdentity;
let host = '';
let dir = '';

before(async () => {
  identity = await createSelfSignedCertificate();
  emulator = await startEmulator({ port: 0, seed: { seed: 'empty' }, tls: identity });
  host = new URL(emulator.url).host;
  dir = await mkdtemp(join(tmpdir(), 'syncline-tls-'));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

function client(secret: string) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: 'syncline-app',
      clientSecret: secret,
      authority: `https://${host}/tenant-1`,
      // Without this MSAL asks login.microsoftonline.com for instance discovery.
      knownAuthorities: [host],
    },
  });
}

test('msal-node obtains a token over HTTPS once the certificate is trusted in-process', async () => {
  // Node 24: add the emulator's certificate to this process's default trust store.
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), identity.cert]);
  // The client secret of the sync user's application is its static token (interfaces.md §7).
  const result = await client(syncToken).acquireTokenByClientCredential({
    scopes: [`https://${host}/.default`],
  });
  assert.ok(result?.accessToken, 'a token was issued');
  assert.equal(result.tokenType, 'Bearer');
  assert.ok(result.expiresOn!.getTime() > Date.now() + 3000 * 1000);

  // The emulator accepts the issued token as the sync user, over the same HTTPS origin.
  assert.ok(emulator.url.startsWith('https://'));
  const whoAmI = await fetch(`${emulator.url}/api/data/v9.2/WhoAmI()`, {
    headers: { Authorization: `Bearer ${result.accessToken}`, Accept: 'application/json' },
  });
  assert.equal(whoAmI.status, 200);
  assert.equal(((await whoAmI.json()) as { UserId: string }).UserId, 'd96e9f55-f06d-e511-80d0-00155db07cb1');

  await assert.rejects(
    client('wrong').acquireTokenByClientCredential({ scopes: ['https://org.crm.dynamics.com/.default'] }),
    (error: { errorCode?: string; message: string }) => {
      assert.equal(error.errorCode, 'invalid_client');
      assert.match(error.message, /AADSTS7000215/);
      return true;
    },
  );
});

test('a separate process trusts the written PEM through NODE_EXTRA_CA_CERTS', async () => {
  const pem = join(dir, 'emulator-cert.pem');
  await writeCertificatePem(pem, identity);
  const script = `
    const { ConfidentialClientApplication } = require('@azure/msal-node');
    const app = new ConfidentialClientApplication({ auth: { clientId: 'a', clientSecret: '${syncToken}',
      authority: 'https://${host}/tenant-1', knownAuthorities: ['${host}'] } });
    app.acquireTokenByClientCredential({ scopes: ['https://org.crm.dynamics.com/.default'] })
      .then((r) => process.stdout.write(r.accessToken), (e) => { process.stderr.write(String(e)); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: pem },
    cwd: process.cwd(),
  });
  assert.match(stdout, /^[A-Za-z0-9_-]{20,}$/, 'an access token');
});
