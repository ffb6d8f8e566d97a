import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOlderVersion, versionOfEtag } from './crm-record.ts';

test('B2.8: a Dataverse ETag carries the row version; other shapes carry none', () => {
  assert.equal(versionOfEtag('W/"1234567"'), 1234567n);
  assert.equal(versionOfEtag('W/"99999999999999999999"'), 99999999999999999999n);
  assert.equal(versionOfEtag('"1234567"'), undefined);
  assert.equal(versionOfEtag('W/"abc"'), undefined);
  assert.equal(versionOfEtag(null), undefined);
  assert.equal(versionOfEtag(undefined), undefined);
});

test('B2.8: only a known lower version is older; unknown versions never are', () => {
  assert.equal(isOlderVersion('W/"9"', 'W/"10"'), true, 'compared as numbers, not as text');
  assert.equal(isOlderVersion('W/"10"', 'W/"10"'), false);
  assert.equal(isOlderVersion('W/"11"', 'W/"10"'), false);
  assert.equal(isOlderVersion(undefined, 'W/"10"'), false);
  assert.equal(isOlderVersion('W/"9"', null), false);
  assert.equal(isOlderVersion('*', 'W/"10"'), false);
});
