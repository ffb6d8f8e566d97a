import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectBuilder } from './object-builder.ts';

/** What the same `set` calls on `{}` give: the builder must be indistinguishable from it. */
function plain(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) object[key] = value;
  return object;
}

function build(builder: ObjectBuilder, entries: readonly (readonly [string, unknown])[]) {
  builder.begin();
  for (const [key, value] of entries) builder.set(key, value);
  return builder.build();
}

const contact = [
  ['contactid', 'c1'],
  ['firstname', 'Ann'],
  ['owner', { id: 'u1', entity: 'systemuser' }],
  ['numberofemployees', 12],
  ['donotemail', false],
  ['birthdate', null],
] as const;
const withoutOwner = contact.filter(([key]) => key !== 'owner');

test('B4.1, B5.3: objects equal what the same stores on {} give, key order included, across changing shapes', () => {
  const builder = new ObjectBuilder();
  // The same shape again and again (templated from the second), another shape in between, then back.
  const sequences = [contact, contact, contact, withoutOwner, withoutOwner, contact, withoutOwner, contact];
  for (const [index, entries] of sequences.entries()) {
    const entriesOfRow = entries.map(
      ([key, value]) => [key, key === 'contactid' ? `c${index}` : value] as const,
    );
    const built = build(builder, entriesOfRow);
    assert.deepEqual(built, plain(entriesOfRow));
    assert.deepEqual(Object.keys(built), Object.keys(plain(entriesOfRow)));
  }
});

test('a key set twice keeps its first place and its last value, as a plain object does', () => {
  const builder = new ObjectBuilder();
  const entries = [
    ['a', 1],
    ['b', 2],
    ['a', 3],
  ] as const;
  for (let round = 0; round < 3; round += 1) {
    const built = build(builder, entries);
    assert.deepEqual(built, { a: 3, b: 2 });
    assert.deepEqual(Object.keys(built), ['a', 'b']);
  }
});

test('built objects are independent: a later build or a change to one never shows in another', () => {
  const builder = new ObjectBuilder();
  const first = build(builder, contact);
  const second = build(builder, contact);
  const third = build(builder, contact);
  third.firstname = 'changed';
  assert.equal(first.firstname, 'Ann');
  assert.equal(second.firstname, 'Ann');
  assert.notEqual(second, third);
});

test('a build cut short (a throw between set and build) leaves nothing in the next object', () => {
  const builder = new ObjectBuilder();
  builder.begin();
  builder.set('stale', 1);
  const built = build(builder, [['fresh', 2]]);
  assert.deepEqual(built, { fresh: 2 });
});
