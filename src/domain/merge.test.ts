import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entityCollisionWinner, type FieldPolicy } from './field-policy.ts';
import { mergeField, normalizeValue, type FieldValue } from './merge.ts';

const merge = (
  base: FieldValue | undefined,
  marketing: FieldValue,
  crm: FieldValue,
  options: { policy?: FieldPolicy; entity?: string } = {},
) =>
  mergeField({
    field: 'f',
    base,
    marketing,
    crm,
    policy: options.policy ?? 'two-way',
    entityWinner: entityCollisionWinner(options.entity ?? 'lead'),
  });

describe('B4 field-level three-way merge', () => {
  test('B4.2 unchanged on both sides → nothing written', () => {
    assert.deepEqual(merge('a', 'a', 'a'), {});
  });

  test('B4.2 changed on the marketing side only → copied to the CRM', () => {
    assert.deepEqual(merge('a', 'b', 'a'), { toCrm: { value: 'b' }, newBase: { value: 'b' } });
  });

  test('B4.2 changed on the CRM side only → copied to the person', () => {
    assert.deepEqual(merge('a', 'a', 'c'), { toMarketing: { value: 'c' }, newBase: { value: 'c' } });
  });

  test('B4.2 changed on both sides to the same value → base updated, nothing written', () => {
    assert.deepEqual(merge('a', 'z', 'z'), { newBase: { value: 'z' } });
  });

  test('B4.3 collision on a lead → the marketing value wins, the CRM value is in the conflict', () => {
    const decision = merge('a', 'mkt', 'crm', { entity: 'lead' });
    assert.deepEqual(decision.toCrm, { value: 'mkt' });
    assert.equal(decision.toMarketing, undefined);
    assert.deepEqual(decision.conflict, {
      field: 'f',
      winner: 'marketing',
      marketingValue: 'mkt',
      crmValue: 'crm',
      base: 'a',
    });
  });

  test('B4.3 collision on a contact → the CRM value wins, the marketing value is in the conflict', () => {
    const decision = merge('a', 'mkt', 'crm', { entity: 'contact' });
    assert.deepEqual(decision.toMarketing, { value: 'crm' });
    assert.equal(decision.toCrm, undefined);
    assert.equal(decision.conflict?.winner, 'crm');
    assert.equal(decision.conflict?.marketingValue, 'mkt');
  });

  test('B4.3 one-way entities: the CRM always wins', () => {
    assert.equal(entityCollisionWinner('account'), 'crm');
    assert.equal(entityCollisionWinner('opportunity'), 'crm');
  });

  test('B4.4 after a write the settled field decides nothing on the next pass (no ping-pong)', () => {
    const first = merge('a', 'b', 'a');
    const base = first.newBase!.value;
    assert.deepEqual(merge(base, 'b', first.toCrm!.value), {});
  });

  test('B4.1 normalisation: decimals, date-time precision and blank strings are not changes', () => {
    assert.deepEqual(merge(20000, 20000.0, 20000.0), {});
    assert.deepEqual(merge('2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00Z'), {});
    assert.deepEqual(merge(null, '', null), {});
    assert.equal(normalizeValue('2024-05-01T12:00:00.999+02:00'), '2024-05-01T10:00:00Z');
  });

  test('B3.2 first link: a blank side takes the other side’s value', () => {
    assert.deepEqual(merge(undefined, null, 'crm'), {
      toMarketing: { value: 'crm' },
      newBase: { value: 'crm' },
    });
    assert.deepEqual(merge(undefined, 'mkt', null), { toCrm: { value: 'mkt' }, newBase: { value: 'mkt' } });
    assert.deepEqual(merge(undefined, 'same', 'same'), { newBase: { value: 'same' } });
  });

  test('B3.2 first link: set differently on both sides follows the B4.3 winner', () => {
    assert.deepEqual(merge(undefined, 'mkt', 'crm', { entity: 'lead' }).toCrm, { value: 'mkt' });
    assert.deepEqual(merge(undefined, 'mkt', 'crm', { entity: 'contact' }).toMarketing, { value: 'crm' });
  });
});

describe('B4.6 per-field policy overrides', () => {
  test('crm-wins and marketing-wins override the entity rule on collision only', () => {
    assert.deepEqual(merge('a', 'm', 'c', { entity: 'lead', policy: 'crm-wins' }).toMarketing, {
      value: 'c',
    });
    assert.deepEqual(merge('a', 'm', 'c', { entity: 'contact', policy: 'marketing-wins' }).toCrm, {
      value: 'm',
    });
    assert.deepEqual(merge('a', 'm', 'a', { policy: 'crm-wins' }).toCrm, { value: 'm' });
  });

  test('crm-to-marketing (B1.4, B5.1): a marketing edit is never pushed, and the next CRM change overwrites it', () => {
    assert.deepEqual(merge('a', 'm', 'a', { policy: 'crm-to-marketing' }), {});
    const later = merge('a', 'm', 'c', { policy: 'crm-to-marketing', entity: 'lead' });
    assert.deepEqual(later.toMarketing, { value: 'c' });
    assert.equal(later.toCrm, undefined);
  });

  test('marketing-to-crm: a CRM edit is never pulled, and the next marketing change overwrites it', () => {
    assert.deepEqual(merge('a', 'a', 'c', { policy: 'marketing-to-crm' }), {});
    assert.deepEqual(merge('a', 'm', 'c', { policy: 'marketing-to-crm', entity: 'contact' }).toCrm, {
      value: 'm',
    });
  });

  test('fill-blanks only fills blanks and never overwrites a set value', () => {
    assert.deepEqual(merge('a', 'm', null, { policy: 'fill-blanks' }), {
      toCrm: { value: 'm' },
      newBase: { value: 'm' },
    });
    assert.deepEqual(merge('a', null, 'c', { policy: 'fill-blanks' }), {
      toMarketing: { value: 'c' },
      newBase: { value: 'c' },
    });
    assert.deepEqual(merge('a', 'm', 'c', { policy: 'fill-blanks' }), {});
  });
});
