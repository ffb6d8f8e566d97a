/** The `Prefer` preferences the emulator honours (reference §0: one comma-separated header, or several). */
export interface Preferences {
  readonly returnRepresentation: boolean;
  /** Requested page size, before clamping (reference §1.1). */
  readonly maxPageSize: number | undefined;
  /** Raw `odata.include-annotations` value without quotes, e.g. `*` or `OData.Community.Display.V1.FormattedValue`. */
  readonly includeAnnotations: string | undefined;
  readonly trackChanges: boolean;
  readonly continueOnError: boolean;
}

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  let returnRepresentation = false;
  let maxPageSize: number | undefined;
  let includeAnnotations: string | undefined;
  let trackChanges = false;
  let continueOnError = false;
  for (const item of splitOutsideQuotes(raw)) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value =
      eq < 0
        ? ''
        : item
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
    if (name === 'return' && value === 'representation') returnRepresentation = true;
    else if (name === 'odata.maxpagesize' && /^\d+$/.test(value)) maxPageSize = Number(value);
    else if (name === 'odata.include-annotations') includeAnnotations = value;
    else if (name === 'odata.track-changes') trackChanges = true;
    else if (name === 'odata.continue-on-error') continueOnError = true;
  }
  return { returnRepresentation, maxPageSize, includeAnnotations, trackChanges, continueOnError };
}

function splitOutsideQuotes(raw: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of raw) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      if (current.trim()) parts.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** Which instance annotations a response may carry, per the include-annotations preference. */
export class AnnotationFilter {
  private readonly patterns: string[];

  constructor(value: string | undefined) {
    this.patterns = (value ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '' && !p.startsWith('-'));
  }

  get any(): boolean {
    return this.patterns.length > 0;
  }

  includes(term: string): boolean {
    return this.patterns.some(
      (p) => p === '*' || p === term || (p.endsWith('.*') && term.startsWith(p.slice(0, -1))),
    );
  }
}
