import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateTime, decimal, money, text } from '../metadata/attribute-definition.ts';
import type { AttributeDefinition } from '../metadata/attribute-definition.ts';
import { isoSeconds, jsonEncoder } from './value-format.ts';

const attribute = (spec: Omit<AttributeDefinition, 'metadataId' | 'index' | 'schemaName'>) =>
  ({ ...spec, schemaName: spec.logicalName, metadataId: '', index: 0 }) as AttributeDefinition;

test('isoSeconds matches Date#toISOString without milliseconds (reference §0), across days, years and 1970', () => {
  const samples = [0, -1, -86_400_000, 951_782_400_000, 1_680_904_741_999, Date.UTC(2024, 1, 29, 23, 59, 59)];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor((i * 7_919_993_311) % 4_102_444_800_000));
  for (const ms of samples) {
    assert.equal(isoSeconds(ms), new Date(ms).toISOString().slice(0, 19) + 'Z', String(ms));
  }
});

test('string encoder: the fast path and JSON.stringify agree on quotes, backslashes, controls and surrogates', () => {
  const encode = jsonEncoder(attribute(text('x', 'X', 100)));
  for (const value of [
    'plain',
    'a"b',
    'back\\slash',
    'line\nbreak',
    'tab\t',
    '\u0000',
    'emoji 😀',
    'lone \ud800',
    '\u2028',
    '',
  ])
    assert.equal(encode(value), JSON.stringify(value), JSON.stringify(value));
  assert.equal(encode(null), 'null');
  assert.equal(encode(undefined), 'null');
});

test('date, money and decimal encoders keep Dataverse formats', () => {
  const ms = Date.UTC(2023, 3, 7, 21, 59, 1, 500);
  assert.equal(jsonEncoder(attribute(dateTime('d', 'D')))(ms), '"2023-04-07T21:59:01Z"');
  assert.equal(jsonEncoder(attribute(dateTime('d', 'D', { format: 'DateOnly' })))(ms), '"2023-04-07"');
  assert.equal(jsonEncoder(attribute(money('m', 'M')))(20000), '20000.0000');
  assert.equal(jsonEncoder(attribute(decimal('n', 'N', 1)))(9.5), '9.5');
  assert.equal(jsonEncoder(attribute(money('m', 'M')))(null), 'null');
});
