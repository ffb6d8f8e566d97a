/**
 * The discovery documents MSAL and other Entra ID clients read before asking for a token (reference §9),
 * pointing every endpoint at the emulator's own origin.
 */

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`, Entra v2 shape. */
export function openIdConfiguration(origin: string, tenant: string): Record<string, unknown> {
  const base = `${origin}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'oid', 'tid', 'ver'],
    tenant_region_scope: null,
    cloud_instance_name: new URL(origin).host,
  };
}

/**
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…` — tells the client the emulator's
 * host is a trusted authority and where its tenant's OpenID configuration is.
 */
export function instanceDiscovery(
  origin: string,
  authorizationEndpoint: string | null,
): Record<string, unknown> {
  const host = new URL(origin).host;
  let tenant = 'common';
  if (authorizationEndpoint !== null) {
    try {
      tenant = new URL(authorizationEndpoint).pathname.split('/').filter(Boolean)[0] ?? tenant;
    } catch {
      // not a URL: answer for the common tenant, as Entra does for unknown input
    }
  }
  return {
    tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
