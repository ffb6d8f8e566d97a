import { odataError } from '../http/dataverse-error.ts';

/** One `$expand` item: `primarycontactid($select=fullname)`, `Account_Tasks($top=5;$expand=…)`, `x/$ref`. */
export interface ExpandItem {
  readonly property: string;
  /** `primarycontactid/$ref`: references (`@odata.id`) instead of data. */
  readonly ref: boolean;
  readonly select: string[] | undefined;
  readonly filter: string | undefined;
  readonly orderby: string | undefined;
  readonly top: number | undefined;
  readonly expand: readonly ExpandItem[];
  /** The item's options as a query string (`$select=fullname&$top=5`), for `<property>@odata.nextLink`. */
  readonly query: string;
}

/** Dataverse allows up to 15 `$expand` options in a query (join-tables). */
export const maxExpandOptions = 15;

const optionNames = new Set(['$select', '$filter', '$orderby', '$top', '$expand']);

/**
 * Parses a `$expand` value (join-tables: options in parentheses, separated by `;`, nested `$expand`).
 * `$skip`, `$count`, `$search` and `$levels` are not supported by Dataverse in `$expand` and are refused.
 */
export function parseExpand(text: string): ExpandItem[] {
  const items = splitTopLevel(text, ',').map(parseItem);
  if (countItems(items) > maxExpandOptions)
    throw odataError(`The number of $expand options exceeds the maximum of ${maxExpandOptions}.`);
  return items;
}

function countItems(items: readonly ExpandItem[]): number {
  return items.reduce((sum, item) => sum + 1 + countItems(item.expand), 0);
}

function parseItem(raw: string): ExpandItem {
  const text = raw.trim();
  const open = text.indexOf('(');
  const head = (open < 0 ? text : text.slice(0, open)).trim();
  if (open >= 0 && !text.endsWith(')')) throw odataError(`Syntax error in '$expand=${text}'.`);
  const ref = head.endsWith('/$ref');
  const property = ref ? head.slice(0, -'/$ref'.length) : head;
  if (!/^[A-Za-z_][\w.]*$/.test(property)) throw odataError(`Syntax error in '$expand=${text}'.`);
  const options = new Map<string, string>();
  if (open >= 0) {
    for (const part of splitTopLevel(text.slice(open + 1, -1), ';')) {
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (!optionNames.has(name)) throw odataError(`The query option '${name}' is not supported in $expand.`);
      if (options.has(name))
        throw odataError(`Query option '${name}' is specified more than once in $expand.`);
      options.set(name, eq < 0 ? '' : part.slice(eq + 1).trim());
    }
  }
  const top = options.get('$top');
  if (top !== undefined && !/^\d+$/.test(top))
    throw odataError(
      `Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.`,
    );
  const select = options.get('$select');
  const expand = options.get('$expand');
  return {
    property,
    ref,
    select: select === undefined || select === '' ? undefined : select.split(',').map((s) => s.trim()),
    filter: options.get('$filter'),
    orderby: options.get('$orderby'),
    top: top === undefined ? undefined : Number(top),
    expand: expand === undefined || expand === '' ? [] : parseExpand(expand),
    query: [...options].map(([name, value]) => `${name}=${value}`).join('&'),
  };
}

/** Splits on `separator` outside parentheses and string literals. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    if (char === separator && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (depth !== 0 || quoted) throw odataError(`Syntax error in '$expand=${text}'.`);
  parts.push(current);
  return parts.filter((part) => part.trim() !== '');
}
