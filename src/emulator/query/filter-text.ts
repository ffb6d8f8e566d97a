import { odataError } from '../http/dataverse-error.ts';

/**
 * Rewrites a decoded `$filter` into the text `odata-v4-parser` reads. The parser follows the OData ABNF for
 * URL-encoded text; Dataverse's ODataLib is more lenient. Three rewrites bridge them:
 *
 * - String contents are percent-encoded where the ABNF wants it, so `contains(name,'[a-c]%')` (T-SQL LIKE
 *   wildcards, filter-rows "Use wildcard characters") and `'a b'` parse; `decodeStringLiteral` undoes it.
 * - `not(…)` without a space (`not(contains(name,'x'))`, common in client code) gets its space.
 * - Array literals of the Dataverse functions (`PropertyValues=['a','b']`) become double-quoted JSON, the only
 *   form the parser reads. ODataLib's JSON reader takes strings in single or double quotes (Microsoft's own In
 *   example: `@p2=['a','b']`) with backslash escapes. A doubled quote is not an escape there: `['O''Brian']` is
 *   the string `O` followed by another string, and Dataverse answers the error filter-rows documents for it
 *   ("Manage single quotes") — so does this.
 */
export function normalizeFilterText(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === "'") {
      const { value, end } = readODataString(text, i);
      out += `'${encode(value).replace(/'/g, "''")}'`;
      i = end;
    } else if (/^not\(/i.test(text.slice(i, i + 4)) && !/[\w./]/.test(text[i - 1] ?? '')) {
      out += `${text.slice(i, i + 3)} (`;
      i += 4;
    } else if (char === '[') {
      const { json, end } = readArray(text, i);
      out += json;
      i = end;
    } else {
      out += char === '%' ? '%25' : char;
      i++;
    }
  }
  return out;
}

/** The value of a string literal as `normalizeFilterText` left it (quotes stripped). */
export function decodeStringLiteral(content: string): string {
  try {
    return decodeURIComponent(content);
  } catch {
    return content;
  }
}

/** Characters the ABNF allows unencoded in a string literal (pchar without the quote). */
const plain = /[A-Za-z0-9\-._~!$&()*+,;=:@']/;

function encode(value: string): string {
  let out = '';
  for (const char of value) out += plain.test(char) ? char : encodeURIComponent(char);
  return out;
}

/** An OData string literal at `start` ('' escapes a quote); unterminated ones are left for the parser. */
function readODataString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "'") {
      if (text[i + 1] !== "'") return { value, end: i + 1 };
      value += "'";
      i += 2;
    } else value += text[i++];
  }
  // Unterminated: keep the text as it was so the parser reports the syntax error.
  return { value: text.slice(start + 1), end: text.length };
}

const commaExpected =
  "Invalid JSON. A comma character ',' was expected in scope 'Array'. Every two elements in an array and " +
  'properties of an object must be separated by commas.';

function readArray(text: string, start: number): { json: string; end: number } {
  const items: string[] = [];
  let i = skipSpace(text, start + 1);
  if (text[i] === ']') return { json: '[]', end: i + 1 };
  for (;;) {
    const item = readItem(text, i);
    items.push(item.json);
    i = skipSpace(text, item.end);
    if (text[i] === ']') return { json: `[${items.join(',')}]`, end: i + 1 };
    if (text[i] !== ',') throw odataError(commaExpected);
    i = skipSpace(text, i + 1);
  }
}

const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

function readItem(text: string, start: number): { json: string; end: number } {
  const quote = text[start];
  if (quote === "'" || quote === '"') {
    let value = '';
    let i = start + 1;
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\' && i + 1 < text.length) {
        const escaped = text[i + 1];
        const hex = text.slice(i + 2, i + 6);
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(hex)) {
          value += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          value += escapes[escaped] ?? escaped;
          i += 2;
        }
      } else value += text[i++];
    }
    if (i >= text.length) throw odataError(`Invalid JSON. Unterminated string in an array literal.`);
    // Encoded like string literals (no quote or backslash is left, so no JSON escape is needed).
    return { json: `"${encode(value).replace(/'/g, '%27')}"`, end: i + 1 };
  }
  const match = /^[^\s,\]]+/.exec(text.slice(start));
  if (!match) throw odataError(`Invalid JSON. An unexpected end of input was found in an array literal.`);
  return { json: match[0], end: start + match[0].length };
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}
