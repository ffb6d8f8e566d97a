import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCrmError } from '../crm-error.ts';
import {
  advanceWatermark,
  alreadySeen,
  decodeCursor,
  encodeCursor,
  relativeLink,
  sameColumns,
  withSelect,
} from './change-cursor.ts';

const deltaLink =
  'https://org.crm.dynamics.com/api/data/v9.2/accounts?$select=name,telephone1,fax&$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20';

test('B2.4: a delta link is stored relative to the data URL, whatever host the server used', () => {
  assert.equal(
    relativeLink(deltaLink, '/api/data/v9.2/'),
    'accounts?$select=name,telephone1,fax&$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20',
  );
  assert.equal(
    relativeLink('http://127.0.0.1:9/x/api/data/v9.0/contacts?$skiptoken=a', '/api/data/v9.2/'),
    'contacts?$skiptoken=a',
  );
  assert.throws(() => relativeLink('https://elsewhere/contacts', '/api/data/v9.2/'), /Unexpected link/);
});

test('a new column list rebases a delta link and keeps its token untouched', () => {
  const link = relativeLink(deltaLink, '/api/data/v9.2/');
  assert.equal(
    withSelect(link, ['accountid', 'name', 'new_tier']),
    'accounts?$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20&$select=accountid,name,new_tier',
  );
  assert.ok(sameColumns(['b', 'a'], ['a', 'b']));
  assert.ok(!sameColumns(['a'], ['a', 'b']));
});

test('cursors round-trip; an unreadable cursor asks for a reconcile (B2.5)', () => {
  const cursor = {
    v: 1 as const,
    mode: 'delta' as const,
    link: 'contacts?$deltatoken=1',
    select: ['firstname'],
  };
  assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  for (const bad of ['not json', '{"v":2}', '{"v":1,"mode":"delta"}']) {
    assert.throws(
      () => decodeCursor(bad),
      (error: unknown) => isCrmError(error) && error.errorClass === 'expired-cursor',
    );
  }
});

test('B2.3: the watermark advances to the newest modifiedon and remembers versions inside the overlap', () => {
  const rows = [
    { id: 'a', version: 'W/"1"', modifiedOn: '2026-01-01T10:00:00Z' },
    { id: 'b', version: 'W/"2"', modifiedOn: '2026-01-01T10:04:00Z' },
    { id: 'c', version: 'W/"3"', modifiedOn: '2026-01-01T10:05:00Z' },
  ];
  const state = advanceWatermark({ since: null, seen: {} }, rows, 120_000);
  assert.equal(state.since, '2026-01-01T10:05:00Z');
  assert.deepEqual(Object.keys(state.seen).sort(), ['b', 'c'], 'a is older than the overlap');
  assert.ok(alreadySeen(state.seen, 'c', 'W/"3"'));
  assert.ok(!alreadySeen(state.seen, 'c', 'W/"4"'), 'a newer version is a change');
  assert.ok(!alreadySeen(state.seen, 'a', 'W/"1"'));
  const next = advanceWatermark(
    state,
    [{ id: 'd', version: 'W/"5"', modifiedOn: '2026-01-01T10:08:00Z' }],
    120_000,
  );
  assert.deepEqual(Object.keys(next.seen), ['d']);
  const capped = advanceWatermark({ since: null, seen: {} }, rows, 3_600_000, 2);
  assert.deepEqual(Object.keys(capped.seen).sort(), ['b', 'c'], 'the newest entries are kept under the cap');
});
