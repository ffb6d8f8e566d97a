import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DataverseHttp, HttpResponse } from './dataverse-http.ts';
import { fetchPage } from './page-reader.ts';
import { toRecord, type EntityShape } from './record-mapper.ts';

/** Answers every GET with `text` (the body as the server sent it). */
function answering(text: string): DataverseHttp {
  const response: HttpResponse = { status: 200, headers: {}, text, identity: 0, startedAt: 0 };
  return { send: async () => response, dataPath: '/api/data/v9.2/' } as unknown as DataverseHttp;
}

const shape = {
  entity: { logicalName: 'contact', primaryIdAttribute: 'contactid' },
  attributes: new Map(),
} as unknown as EntityShape;

async function pageOf(text: string) {
  return fetchPage({ http: answering(text), path: 'contacts', prefer: [] }, 'contacts');
}

test('B6.1: a body with an escaped NUL or lone surrogate is not clean, and its rows are sanitised', async () => {
  for (const escaped of ['Yv\\u0000onne', '\\udc00Smith', 'Yv\\u0000onne \\ud83d\\ude00']) {
    const page = await pageOf(`{"value":[{"contactid":"c1","firstname":"${escaped}"}]}`);
    assert.equal(page.clean, false, escaped);
    const { values } = toRecord(shape, page.value[0], page);
    assert.ok(typeof values.firstname === 'string' && values.firstname.isWellFormed(), escaped);
    assert.ok(!values.firstname.includes('\u0000'), escaped);
  }
});

test('B6.1: only a body without any \\u escape is clean (an escaped backslash before a u counts too)', async () => {
  const clean = await pageOf('{"value":[{"contactid":"c1","firstname":"Jürgen 😀 Ωmega"}]}');
  assert.equal(clean.clean, true);
  assert.equal(toRecord(shape, clean.value[0], clean).values.firstname, 'Jürgen 😀 Ωmega');
  const backslash = await pageOf('{"value":[{"contactid":"c1","firstname":"C:\\\\users"}]}');
  assert.equal(backslash.clean, false);
  assert.equal(toRecord(shape, backslash.value[0], backslash).values.firstname, 'C:\\users');
});
