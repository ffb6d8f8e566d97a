import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { errorDocsPath, renderErrorDocs } from '../../scripts/generate-error-docs.ts';
import { errorCodes } from '../../src/errors/codes.ts';

test('docs/errors.md is what `npm run docs:errors` generates from the registry', async () => {
  const committed = await readFile(errorDocsPath, 'utf8').catch(() => '');
  assert.ok(
    committed === (await renderErrorDocs()),
    'docs/errors.md is stale (or missing): run `npm run docs:errors` and commit the result',
  );
});

test('the rendered page documents every code with its status, meaning and action', async () => {
  const page = await renderErrorDocs({
    ...errorCodes,
    EXAMPLE_CODE: { status: 418, description: 'A made-up code.', action: 'Brew coffee instead of tea.' },
  });
  for (const code of [...Object.keys(errorCodes), 'EXAMPLE_CODE']) {
    assert.match(page, new RegExp(`^## ${code}$`, 'm'), code);
  }
  assert.match(page, /\*\*Meaning\*\* \(HTTP 418\): A made-up code\./);
  assert.match(page, /\*\*What to do:\*\* Brew coffee instead of tea\./);
});
