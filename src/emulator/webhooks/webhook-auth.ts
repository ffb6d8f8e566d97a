import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { WebhookEndpoint } from './webhook-types.ts';

/** serviceendpoint.authtype values (reference §11, entity reference numbering). */
export const webhookAuthTypes = { webhookKey: 4, httpHeader: 5, httpQueryString: 6 } as const;

/** The service's fault text for an unusable `authvalue` (code 0x80050203). */
export const invalidAuthValueMessage =
  'The webhook call failed because of invalid http headers in authValue. Check if the authValue format, ' +
  'header names and values are valid for your Service Endpoint entity.';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'setting',
});

/**
 * Header and query-string auth values are stored the way the Plug-in Registration Tool writes them:
 * `<settings><setting name="x-api-key" value="…" /></settings>`. Returns undefined when malformed.
 */
export function parseAuthSettings(authvalue: string): Array<[string, string]> | undefined {
  if (XMLValidator.validate(authvalue) !== true) return undefined;
  const parsed = parser.parse(authvalue) as {
    settings?: { setting?: Array<{ name?: unknown; value?: unknown }> };
  };
  const settings = parsed.settings?.setting;
  if (settings === undefined) return undefined;
  const pairs: Array<[string, string]> = [];
  for (const setting of settings) {
    if (typeof setting.name !== 'string' || setting.name === '' || setting.value === undefined)
      return undefined;
    pairs.push([setting.name, String(setting.value)]);
  }
  return pairs;
}

/**
 * Where the endpoint's secret goes: WebhookKey → `?code=<authvalue>`; HttpHeader → one header per setting;
 * HttpQueryString → one query parameter per setting. Throws with the service's message when unusable.
 */
export function applyWebhookAuth(endpoint: WebhookEndpoint): { url: URL; headers: Record<string, string> } {
  const url = new URL(endpoint.url);
  const headers: Record<string, string> = {};
  const authvalue = endpoint.authvalue ?? '';
  if (endpoint.authtype === webhookAuthTypes.webhookKey) {
    url.searchParams.set('code', authvalue);
  } else if (
    endpoint.authtype === webhookAuthTypes.httpHeader ||
    endpoint.authtype === webhookAuthTypes.httpQueryString
  ) {
    const settings = parseAuthSettings(authvalue);
    if (settings === undefined) throw new Error(invalidAuthValueMessage);
    for (const [name, value] of settings) {
      if (endpoint.authtype === webhookAuthTypes.httpQueryString) url.searchParams.set(name, value);
      else headers[name] = value;
    }
  }
  return { url, headers };
}
