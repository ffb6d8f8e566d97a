import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

/** A TLS identity for the emulator's HTTPS mode: PEM private key and certificate. */
export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

/**
 * Makes a fresh self-signed certificate at start (issue 2: "served over HTTPS on request"). MSAL refuses
 * `http:` authorities, so the token endpoint needs TLS; clients trust this certificate explicitly (see
 * docs/emulator-tls.md). EC P-256 keeps start-up fast. The certificate covers `localhost`, `127.0.0.1`, `::1`
 * and any extra host the emulator was asked to bind.
 */
export async function createSelfSignedCertificate(extraHosts: readonly string[] = []): Promise<TlsIdentity> {
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...extraHosts])];
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew
  const notAfterDate = new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'Syncline Dataverse emulator' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) => (isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host })),
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** Writes the certificate (never the key) where a client can point `NODE_EXTRA_CA_CERTS` at it. */
export async function writeCertificatePem(path: string, identity: TlsIdentity): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, identity.cert, { mode: 0o644 });
}
