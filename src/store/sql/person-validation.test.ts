import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtInPersonFields } from './person-field-catalog.ts';
import { maxStringLength, normaliseEmail, validatePersonInput } from './person-validation.ts';
import type { PersonField } from '../person-store.ts';

const fields = new Map<string, PersonField>(
  [
    ...builtInPersonFields,
    { name: 'born', type: 'date', source: 'marketing', crm: {}, readOnly: false } as const,
    { name: 'score', type: 'integer', source: 'marketing', crm: {}, readOnly: false } as const,
  ].map((field) => [field.name, field]),
);
const fieldOf = (name: string) => fields.get(name);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

test('valid values pass through; date-times are normalised to UTC milliseconds (B4.1)', () => {
  assert.deepEqual(
    validatePersonInput(
      { email: 'a@b.c', doNotCall: false, annualRevenue: 2.5, score: 3, born: '2000-02-29', city: null },
      fieldOf,
      'api',
    ),
    { email: 'a@b.c', doNotCall: false, annualRevenue: 2.5, score: 3, born: '2000-02-29', city: null },
  );
  assert.deepEqual(validatePersonInput({ crmCreatedAt: '2024-05-01T12:00+02:00' }, fieldOf, 'sync'), {
    crmCreatedAt: '2024-05-01T10:00:00.000Z',
  });
});

test('the checks come in order: shape, unknown, read-only, then types', () => {
  assert.equal(
    codeOf(() => validatePersonInput('x', fieldOf, 'api')),
    'VALIDATION_FAILED',
  );
  assert.equal(
    codeOf(() => validatePersonInput({ nope: 1, crmLeadId: 'x', city: 3 }, fieldOf, 'api')),
    'UNKNOWN_FIELD',
  );
  assert.equal(
    codeOf(() => validatePersonInput({ crmLeadId: 'x', city: 3 }, fieldOf, 'api')),
    'READ_ONLY_FIELD',
  );
  assert.equal(
    codeOf(() => validatePersonInput({ crmLeadId: 'x', city: 3 }, fieldOf, 'sync')),
    'VALIDATION_FAILED',
  );
  assert.equal(
    codeOf(() => validatePersonInput({ updatedAt: 'x' }, fieldOf, 'sync')),
    'READ_ONLY_FIELD',
  );
});

test('type and size rules', () => {
  const bad: Record<string, unknown>[] = [
    { score: 1.5 },
    { score: 2 ** 60 },
    { annualRevenue: Infinity },
    { doNotCall: 0 },
    { born: '2001-02-29' },
    { born: '2001-2-3' },
    { city: 'x'.repeat(maxStringLength + 1) },
    { city: ['Oslo'] },
  ];
  for (const input of bad) {
    assert.equal(
      codeOf(() => validatePersonInput(input, fieldOf, 'api')),
      'VALIDATION_FAILED',
      JSON.stringify(input).slice(0, 60),
    );
  }
  for (const value of ['2024-13-01T00:00:00Z', '2024-01-01T00:00:00', 'tomorrow']) {
    assert.equal(
      codeOf(() => validatePersonInput({ crmCreatedAt: value }, fieldOf, 'sync')),
      'VALIDATION_FAILED',
      value,
    );
  }
});

test('emails are compared trimmed and lower-cased; blank is no email', () => {
  assert.equal(normaliseEmail('  Ada@Example.COM '), 'ada@example.com');
  assert.equal(normaliseEmail('   '), null);
  assert.equal(normaliseEmail(null), null);
  assert.equal(normaliseEmail(undefined), null);
});
