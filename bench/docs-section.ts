import { readFile, writeFile } from 'node:fs/promises';
import * as prettier from 'prettier';

/**
 * Replaces one generated section of a markdown file — the text between `<!-- name:start -->` and
 * `<!-- name:end -->` — and leaves the rest alone, so several benchmarks can write into docs/benchmarks.md
 * beside hand-written text. Appends the section when its markers are missing.
 */
export async function writeDocsSection(path: string, name: string, body: string): Promise<void> {
  const sectionStart = `<!-- ${name}:start -->`;
  const sectionEnd = `<!-- ${name}:end -->`;
  const section = `${sectionStart}\n${body}\n${sectionEnd}`;
  const text = await readFile(path, 'utf8').catch(() => '# Benchmarks\n');
  const start = text.indexOf(sectionStart);
  const end = text.indexOf(sectionEnd);
  const next =
    start >= 0 && end > start
      ? text.slice(0, start) + section + text.slice(end + sectionEnd.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  // `npm test` runs prettier --check over the docs: write them formatted.
  await writeFile(
    path,
    await prettier.format(next, { ...(await prettier.resolveConfig(path)), filepath: path }),
  );
}
