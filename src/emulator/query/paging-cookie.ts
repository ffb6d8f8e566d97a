import { odataError } from '../http/dataverse-error.ts';

/**
 * Dataverse's `$skiptoken` paging cookie (reference §1.1), byte for byte:
 * `<cookie pagenumber="2" pagingcookie="<url-encoded inner cookie>" istracking="False" />`, URL-encoded once
 * more inside the link. The inner cookie lists, per order column, the last and first values of the page
 * returned (`<contactid last="{GUID}" first="{GUID}" />`, GUIDs upper-case in braces; `lastnull="1"` for
 * nulls). Clients treat it as opaque; the emulator reads its own cookies back to find the next page.
 */
export interface CookieColumn {
  readonly name: string;
  readonly last: string | null;
  readonly first: string | null;
}

export interface PagingCookie {
  /** Number of the page the link fetches. */
  readonly pageNumber: number;
  readonly tracking: boolean;
  readonly columns: readonly CookieColumn[];
  /** Extra attributes on the inner `<cookie>` element (the emulator's change-tracking snapshot version). */
  readonly attributes: Readonly<Record<string, string>>;
}

export function encodeSkipToken(cookie: PagingCookie): string {
  const extra = Object.entries(cookie.attributes)
    .map(([k, v]) => ` ${k}="${xmlEscape(v)}"`)
    .join('');
  const columns = cookie.columns
    .map((c) => `<${c.name}${attribute('last', c.last)}${attribute('first', c.first)} />`)
    .join('');
  const inner = `<cookie page="${cookie.pageNumber - 1}"${extra}>${columns}</cookie>`;
  const outer =
    `<cookie pagenumber="${cookie.pageNumber}" pagingcookie="${innerEncode(inner)}" ` +
    `istracking="${cookie.tracking ? 'True' : 'False'}" />`;
  return encodeURI(outer);
}

function attribute(name: string, value: string | null): string {
  return value === null ? ` ${name}null="1"` : ` ${name}="${xmlEscape(value)}"`;
}

/** .NET's HttpUtility.UrlEncode with lower-case hex and `%20` for spaces, as the captured cookies show. */
function innerEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)
    .replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())
    .replace(/%21|%27|%28|%29|%2a/g, (h) => decodeURIComponent(h));
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');
}

/** Parses a `$skiptoken` value (already URL-decoded once by the query-string parser). */
export function decodeSkipToken(value: string): PagingCookie {
  const invalid = () => odataError(`The $skiptoken value is not a valid paging cookie.`);
  const outer = /^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)" istracking="(True|False)" \/>$/.exec(
    value.trim(),
  );
  if (!outer) throw invalid();
  let inner: string;
  try {
    inner = decodeURIComponent(outer[2]);
  } catch {
    throw invalid();
  }
  const root = /^<cookie page="(\d+)"([^>]*)>(.*)<\/cookie>$/s.exec(inner);
  if (!root) throw invalid();
  const attributes: Record<string, string> = {};
  for (const m of root[2].matchAll(/(\w+)="([^"]*)"/g)) attributes[m[1]] = xmlUnescape(m[2]);
  const columns: CookieColumn[] = [];
  for (const m of root[3].matchAll(/<(\w+)((?:\s+\w+="[^"]*")*)\s*\/>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/(\w+)="([^"]*)"/g)) attrs[a[1]] = xmlUnescape(a[2]);
    columns.push({
      name: m[1],
      last: attrs.lastnull === '1' ? null : (attrs.last ?? null),
      first: attrs.firstnull === '1' ? null : (attrs.first ?? null),
    });
  }
  return { pageNumber: Number(outer[1]), tracking: outer[3] === 'True', columns, attributes };
}

/** GUIDs appear upper-case in braces inside cookies. */
export function cookieGuid(id: string): string {
  return `{${id.toUpperCase()}}`;
}
