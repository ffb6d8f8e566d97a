import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseErrorBody } from './dataverse-http.ts';

test('B6.1 a CRM error message with a NUL or a lone surrogate is sanitised before it can reach the store', () => {
  const body = JSON.stringify({ error: { code: '0x80040265', message: 'Bad\u0000 value \ud800 here' } });
  const parsed = parseErrorBody(body);
  assert.equal(parsed.crmCode, '0x80040265');
  assert.equal(parsed.message, 'Bad value \ufffd here');
  assert.ok(parsed.message!.isWellFormed());
  assert.equal(parseErrorBody('plain\u0000 text').message, 'plain text');
});
