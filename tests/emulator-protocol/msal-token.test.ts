import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { routeIdentityRequest } from '../../src/emulator/tokens/identity-routes.ts';
import {
  createSelfSignedCertificate,
  writeCertificatePem,
  type TlsIdentity,
} from '../../src/emulator/tokens/self-signed-certificate.ts';

// Issue 2 acceptance 3: @azure/msal-node obtains a token from the emulator's HTTPS token endpoint.
let server: Server;
let identity: TlsIdentity;
let host = '';
let dir = '';

before(async () => {
  identity = await createSelfSignedCertificate();
  server = createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const response = routeIdentityRequest(
        {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers as Record<string, string>,
          body,
        },
        `https://${req.headers.host}`,
        {
          issueFor: (secret) =>
            secret === 'sync-secret' ? { accessToken: 'emulator-sync-token', expiresIn: 3599 } : undefined,
        },
      );
      if (response === undefined) res.writeHead(404).end();
      else res.writeHead(response.status, response.headers).end(response.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'syncline-tls-'));
});

after(async () => {
  server.close();
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
  const result = await client('sync-secret').acquireTokenByClientCredential({
    scopes: ['https://org.crm.dynamics.com/.default'],
  });
  assert.equal(result?.accessToken, 'emulator-sync-token');
  assert.equal(result?.tokenType, 'Bearer');
  assert.ok(result!.expiresOn!.getTime() > Date.now() + 3000 * 1000);

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
    const app = new ConfidentialClientApplication({ auth: { clientId: 'a', clientSecret: 'sync-secret',
      authority: 'https://${host}/tenant-1', knownAuthorities: ['${host}'] } });
    app.acquireTokenByClientCredential({ scopes: ['https://org.crm.dynamics.com/.default'] })
      .then((r) => process.stdout.write(r.accessToken), (e) => { process.stderr.write(String(e)); process.exit(1); });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: pem },
    cwd: process.cwd(),
  });
  assert.equal(stdout, 'emulator-sync-token');
});
