import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  attributeKind,
  fromCrmValue,
  personFieldType,
  toCrmValue,
  type CrmAttribute,
} from './crm-attribute.ts';

const source: CrmAttribute = {
  logicalName: 'leadsourcecode',
  kind: 'option',
  options: [
    { value: 1, label: 'Advertisement' },
    { value: 8, label: 'Web' },
  ],
};
const interests: CrmAttribute = { ...source, logicalName: 'new_interests', kind: 'multi-option' };

test('B5.3 attribute types map to person field types', () => {
  assert.equal(attributeKind('Memo'), 'string');
  assert.equal(attributeKind('Money'), 'decimal');
  assert.equal(attributeKind('Virtual', 'MultiSelectPicklistType'), 'multi-option');
  assert.equal(attributeKind('Owner'), 'lookup');
  assert.equal(attributeKind('Uniqueidentifier'), 'unsupported');
  assert.equal(personFieldType({ logicalName: 'birthdate', kind: 'datetime', dateOnly: true }), 'date');
  assert.equal(personFieldType({ logicalName: 'revenue', kind: 'decimal' }), 'number');
  assert.equal(personFieldType({ logicalName: 'ownerid', kind: 'lookup' }), undefined);
});

test('B5.3 option sets travel as labels and come back as their integer values', () => {
  assert.equal(fromCrmValue(source, 8), 'Web');
  assert.deepEqual(toCrmValue(source, 'Web'), { ok: true, value: 8 });
  assert.deepEqual(toCrmValue(source, 'web'), { ok: true, value: 8 });
  assert.equal(fromCrmValue(interests, '1,8'), 'Advertisement;Web');
  assert.deepEqual(toCrmValue(interests, 'Web;Advertisement'), { ok: true, value: '8,1' });
});

test('B5.3 pushing a label that is not in the option set is a record error, not a crash', () => {
  const result = toCrmValue(source, 'Carrier pigeon');
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.error.reason, 'unknown-option');
    assert.match(result.error.message, /Carrier pigeon.*Advertisement, Web/);
  }
});

test('B5.3 dates, numbers, booleans and lengths', () => {
  const born: CrmAttribute = { logicalName: 'birthdate', kind: 'datetime', dateOnly: true };
  assert.equal(fromCrmValue(born, '1990-02-03T00:00:00Z'), '1990-02-03');
  assert.equal(
    fromCrmValue({ logicalName: 'x', kind: 'datetime' }, '2024-01-02T03:04:05.123Z'),
    '2024-01-02T03:04:05Z',
  );
  assert.deepEqual(toCrmValue({ logicalName: 'revenue', kind: 'decimal' }, 12.5), { ok: true, value: 12.5 });
  assert.equal(toCrmValue({ logicalName: 'revenue', kind: 'decimal' }, 'twelve').ok, false);
  assert.equal(toCrmValue({ logicalName: 'n', kind: 'integer' }, 1.5).ok, false);
  assert.deepEqual(toCrmValue({ logicalName: 'b', kind: 'boolean' }, true), { ok: true, value: true });
  const short: CrmAttribute = { logicalName: 'firstname', kind: 'string', maxLength: 3 };
  assert.equal(toCrmValue(short, 'abcd').ok, false);
  assert.deepEqual(toCrmValue(short, ''), { ok: true, value: null });
});
