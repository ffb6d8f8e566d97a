// `npm run docs:errors`: writes docs/errors.md from the error-code registry (src/errors/codes.ts), so the
// operator documentation cannot drift from the codes the service answers with. tests/lint/error-docs.test.ts
// fails when the committed file differs from what this renders.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { errorCodes, type ErrorCodeEntry } from '../src/errors/codes.ts';

export const errorDocsPath = join(import.meta.dirname, '..', 'docs', 'errors.md');

/** docs/errors.md as it must be, formatted like every other Markdown file (`npm run format:check`). */
export async function renderErrorDocs(
  registry: Readonly<Record<string, ErrorCodeEntry>> = errorCodes,
): Promise<string> {
  const entries = Object.entries(registry);
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/errors/codes.ts by `npm run docs:errors`; edit the registry, not this file. -->',
    '',
    "Every error Syncline reports carries one of these stable codes: in the HTTP API's error body",
    '(`{"error": {"code", "message", "details"}}`, with the HTTP status below) and in `syncline` command output',
    '(`syncline: <CODE>: <message>`). The message says what exactly went wrong; this page says what the code',
    'means and what to do about it.',
    '',
    '| code | HTTP status |',
    '| --- | --- |',
    ...entries.map(([code, entry]) => `| [\`${code}\`](#${code.toLowerCase()}) | ${entry.status} |`),
    '',
    ...entries.flatMap(([code, entry]) => [
      `## ${code}`,
      '',
      `**Meaning** (HTTP ${entry.status}): ${entry.description}`,
      '',
      `**What to do:** ${entry.action}`,
      '',
    ]),
  ];
  const options = (await prettier.resolveConfig(errorDocsPath)) ?? {};
  return prettier.format(lines.join('\n'), { ...options, filepath: errorDocsPath });
}

if (import.meta.main) {
  await writeFile(errorDocsPath, await renderErrorDocs());
  process.stdout.write(`wrote ${errorDocsPath}\n`);
}
