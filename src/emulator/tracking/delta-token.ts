import { odataError } from '../http/dataverse-error.ts';

/**
 * `$deltatoken` = `<versionnumber>!<UTC MM/dd/yyyy HH:mm:ss>` (reference §2), URL-encoded in links with
 * lower-case hex for every non-alphanumeric character: `919042%2108%2f22%2f2017%2008%3a10%3a44`.
 */
export function encodeDeltaToken(version: number, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${at.getUTCFullYear()} ` +
    `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${version}!${stamp}`.replace(
    /[^A-Za-z0-9]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Parses a decoded token; anything else is a client error. */
export function parseDeltaToken(token: string): { version: number; issuedAt: string } {
  const match = /^(\d+)!(\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2})$/.exec(token.trim());
  if (!match) throw odataError(`The $deltatoken value '${token}' is not valid.`);
  return { version: Number(match[1]), issuedAt: match[2] };
}
