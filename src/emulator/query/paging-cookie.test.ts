import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeDeltaToken, parseDeltaToken } from '../tracking/delta-token.ts';
import { cookieGuid, decodeSkipToken, encodeSkipToken } from './paging-cookie.ts';

// The skiptoken of Microsoft's paging example (reference §1.1), byte for byte.
const documented =
  '%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E';

test('skiptoken: encodes the documented cookie exactly', () => {
  const token = encodeSkipToken({
    pageNumber: 2,
    tracking: false,
    columns: [
      {
        name: 'contactid',
        last: cookieGuid('d5026a4d-d01c-ed11-b83e-000d3a572421'),
        first: cookieGuid('49b0be2e-d01c-ed11-b83e-000d3a572421'),
      },
    ],
    attributes: {},
  });
  assert.equal(token, documented);
});

test('skiptoken: decodes its own cookies, nulls and escaped values included', () => {
  const cookie = decodeSkipToken(decodeURIComponent(documented));
  assert.equal(cookie.pageNumber, 2);
  assert.equal(cookie.tracking, false);
  assert.deepEqual(cookie.columns, [
    {
      name: 'contactid',
      last: '{D5026A4D-D01C-ED11-B83E-000D3A572421}',
      first: '{49B0BE2E-D01C-ED11-B83E-000D3A572421}',
    },
  ]);
  const round = decodeSkipToken(
    decodeURIComponent(
      encodeSkipToken({
        pageNumber: 5,
        tracking: true,
        columns: [{ name: 'lastname', last: `O'Bryan & "Sons" <x>`, first: null }],
        attributes: { snapshot: '42' },
      }),
    ),
  );
  assert.deepEqual(round.columns, [{ name: 'lastname', last: `O'Bryan & "Sons" <x>`, first: null }]);
  assert.equal(round.tracking, true);
  assert.equal(round.attributes.snapshot, '42');
});

test('skiptoken: garbage is rejected with the OData error', () => {
  assert.throws(() => decodeSkipToken('<cookie nonsense />'), /not a valid paging cookie/);
});

test('deltatoken: <version>!<MM/dd/yyyy HH:mm:ss> URL-encoded like the documented link', () => {
  assert.equal(
    encodeDeltaToken(919042, new Date(Date.UTC(2017, 7, 22, 8, 10, 44))),
    '919042%2108%2f22%2f2017%2008%3a10%3a44',
  );
  assert.deepEqual(parseDeltaToken('919042!08/22/2017 08:10:44'), {
    version: 919042,
    issuedAt: '08/22/2017 08:10:44',
  });
  assert.throws(() => parseDeltaToken('919042'), /not valid/);
});
