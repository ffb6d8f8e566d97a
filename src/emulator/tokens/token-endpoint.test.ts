import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeIdentityRequest } from './identity-routes.ts';
import { handleTokenRequest, type TokenIssuer } from './token-endpoint.ts';

const origin = 'https://127.0.0.1:8443';
const issuer: TokenIssuer = {
  issueFor: (secret) =>
    secret === 's3cret' ? { accessToken: 'emulator-sync-token', expiresIn: 3599 } : undefined,
};
const form = 'application/x-www-form-urlencoded;charset=utf-8';

function token(fields: Record<string, string>, contentType = form) {
  const response = handleTokenRequest(
    { origin, contentType, body: new URLSearchParams(fields).toString() },
    issuer,
  );
  return {
    status: response.status,
    body: JSON.parse(response.body) as Record<string, unknown>,
    raw: response.body,
  };
}

const valid = {
  client_id: 'app-1',
  client_secret: 's3cret',
  scope: 'https://org.crm.dynamics.com/.default',
  grant_type: 'client_credentials',
};

test('client credentials with a known secret → Entra token JSON (reference §9)', () => {
  const { status, body } = token(valid);
  assert.equal(status, 200);
  assert.deepEqual(body, {
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: 'emulator-sync-token',
  });
});

test('an unknown secret → 401 invalid_client in Entra error shape, without echoing the secret', () => {
  const { status, body, raw } = token({ ...valid, client_secret: 'wrong-value' });
  assert.equal(status, 401);
  assert.equal(body.error, 'invalid_client');
  assert.deepEqual(body.error_codes, [7000215]);
  assert.match(String(body.error_description), /^AADSTS7000215: Invalid client secret provided\./);
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
  assert.match(String(body.correlation_id), /^[0-9a-f-]{36}$/);
  assert.match(String(body.timestamp), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  assert.equal(body.error_uri, `${origin}/error?code=7000215`);
  assert.doesNotMatch(raw, /wrong-value/);
});

test('bad token requests get the matching Entra errors', () => {
  const cases: Array<[Record<string, string>, number, string, number]> = [
    [{ ...valid, grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
    [{ ...valid, client_id: '' }, 400, 'invalid_request', 900144],
    [
      { client_id: 'a', client_secret: 's3cret', grant_type: 'client_credentials' },
      400,
      'invalid_request',
      900144,
    ],
    [{ ...valid, scope: 'openid' }, 400, 'invalid_scope', 1002012],
    [{ ...valid, client_secret: '' }, 401, 'invalid_client', 7000218],
  ];
  for (const [fields, status, error, code] of cases) {
    const result = token(fields);
    assert.equal(result.status, status, JSON.stringify(fields));
    assert.equal(result.body.error, error);
    assert.deepEqual(result.body.error_codes, [code]);
  }
  const json = token(valid, 'application/json');
  assert.equal(json.status, 400);
  assert.match(String(json.body.error_description), /'grant_type'/);
});

test('OpenID configuration and instance discovery point at the emulator', () => {
  const get = (url: string) =>
    routeIdentityRequest({ method: 'GET', url, headers: {}, body: '' }, origin, issuer);
  const config = get('/tenant-1/v2.0/.well-known/openid-configuration');
  assert.equal(config?.status, 200);
  const metadata = JSON.parse(config.body) as Record<string, string>;
  assert.equal(metadata.token_endpoint, `${origin}/tenant-1/oauth2/v2.0/token`);
  assert.equal(metadata.issuer, `${origin}/tenant-1/v2.0`);
  // MSAL validates these four (reference §9).
  for (const key of ['authorization_endpoint', 'token_endpoint', 'issuer', 'jwks_uri'])
    assert.ok(metadata[key], key);

  const discovery = get(
    `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${origin}/t2/oauth2/v2.0/authorize`)}`,
  );
  assert.deepEqual(JSON.parse(discovery!.body), {
    tenant_discovery_endpoint: `${origin}/t2/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [
      { preferred_network: '127.0.0.1:8443', preferred_cache: '127.0.0.1:8443', aliases: ['127.0.0.1:8443'] },
    ],
  });
  assert.deepEqual(JSON.parse(get('/tenant-1/discovery/v2.0/keys')!.body), { keys: [] });
  assert.equal(get('/api/data/v9.2/contacts'), undefined, 'other routes fall through');
  assert.equal(
    routeIdentityRequest(
      { method: 'GET', url: '/t/oauth2/v2.0/token', headers: {}, body: '' },
      origin,
      issuer,
    ),
    undefined,
  );
});
