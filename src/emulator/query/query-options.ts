import { odataError } from '../http/dataverse-error.ts';

/** The system query options of one request, decoded, plus what is needed to rebuild its links. */
export interface QueryOptions {
  readonly select: string[] | undefined;
  readonly filter: string | undefined;
  readonly orderby: string | undefined;
  readonly top: number | undefined;
  readonly count: boolean;
  readonly expand: string | undefined;
  readonly skiptoken: string | undefined;
  readonly deltatoken: string | undefined;
  /** Other parameters (`annotations=true`, `tag=`…) by name. */
  readonly other: ReadonlyMap<string, string>;
  /** Parameter aliases (`@p1=…`) by name with the `@`, for function parameters (`EntityNames=@p1`). */
  readonly aliases: ReadonlyMap<string, string>;
  /** The raw query string without `$skiptoken`/`$deltatoken`: next and delta links repeat it unchanged. */
  readonly linkQuery: string;
}

const supported = new Set([
  '$select',
  '$filter',
  '$orderby',
  '$top',
  '$count',
  '$expand',
  '$skiptoken',
  '$deltatoken',
  '$apply',
  // `DELETE <set>(<id>)/<collection>/$ref?$id=<url>` (navigation-routes.ts reads it).
  '$id',
]);
const rejected = new Set(['$skip', '$search', '$format']);

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw odataError(`The query string is not correctly URL-encoded.`);
  }
}

export function parseQueryOptions(raw: string): QueryOptions {
  const values = new Map<string, string>();
  const aliases = new Map<string, string>();
  const kept: string[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (name.startsWith('@')) aliases.set(name, value);
    else if (name.startsWith('$')) {
      if (rejected.has(name) || !supported.has(name))
        throw odataError(`The query parameter '${name}' is not supported.`);
      if (name === '$apply')
        throw odataError(`The query parameter '$apply' is not supported by the emulator.`);
      if (values.has(name))
        throw odataError(
          `Query option '${name}' was specified more than once, but it must be specified at most once.`,
        );
    }
    values.set(name, value);
    if (name !== '$skiptoken' && name !== '$deltatoken') kept.push(part);
  }
  // Aliases are replaced outside string literals only: 'a@example.com' is an email, not an alias.
  const withAliases = (text: string | undefined) =>
    text
      ?.split(/('(?:[^']|'')*')/)
      .map((piece, i) =>
        i % 2 === 1
          ? piece
          : piece.replace(/@\w+/g, (alias) => {
              const value = aliases.get(alias);
              if (value === undefined) throw odataError(`The parameter alias '${alias}' is not defined.`);
              return value;
            }),
      )
      .join('');
  const topText = values.get('$top');
  if (topText !== undefined && !/^\d+$/.test(topText))
    throw odataError(
      `Invalid value '${topText}' for $top query option found. The $top query option requires a non-negative integer value.`,
    );
  const countText = values.get('$count');
  if (countText !== undefined && countText !== 'true' && countText !== 'false')
    throw odataError(`'${countText}' is not a valid count option.`);
  const selectText = values.get('$select');
  const other = new Map([...values].filter(([name]) => !name.startsWith('$')));
  return {
    select:
      selectText === undefined || selectText.trim() === ''
        ? undefined
        : selectText.split(',').map((s) => s.trim()),
    filter: withAliases(values.get('$filter')),
    orderby: withAliases(values.get('$orderby')),
    top: topText === undefined ? undefined : Number(topText),
    count: countText === 'true',
    expand: values.get('$expand'),
    skiptoken: values.get('$skiptoken'),
    deltatoken: values.get('$deltatoken'),
    other,
    aliases,
    linkQuery: kept.join('&'),
  };
}
