import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  filtersMatch,
  mayFire,
  triggerFires,
  validateCampaign,
  watchedFields,
  type CampaignDefinition,
} from './campaign-definition.ts';

const known = new Set(['email', 'leadSource', 'city', 'rating']);

const definition = (overrides: Partial<CampaignDefinition>): CampaignDefinition => ({
  name: 'c',
  enabled: true,
  trigger: { type: 'person-created' },
  filters: [],
  steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
  ...overrides,
});

describe('B7.5 trigger evaluation', () => {
  const update = (fields: string[]) => ({ kind: 'update' as const, origin: 'api' as const, fields });

  test('person-created fires on creates of any origin the runner passes on, not on updates', () => {
    const trigger = { type: 'person-created' } as const;
    assert.equal(triggerFires(trigger, { kind: 'create', origin: 'flow', fields: [] }, {}, undefined), true);
    assert.equal(triggerFires(trigger, update(['email']), {}, undefined), false);
  });

  test('added-through-api fires only on creates made through the API', () => {
    const trigger = { type: 'added-through-api' } as const;
    assert.equal(triggerFires(trigger, { kind: 'create', origin: 'api', fields: [] }, {}, undefined), true);
    assert.equal(
      triggerFires(trigger, { kind: 'create', origin: 'system', fields: [] }, {}, undefined),
      false,
    );
  });

  test('field-changed fires when its field changed to the wanted value, and not for other fields', () => {
    const trigger = { type: 'field-changed', field: 'rating', to: 'Hot' } as const;
    assert.equal(triggerFires(trigger, update(['rating']), { rating: 'hot' }, { rating: 'Cold' }), true);
    assert.equal(triggerFires(trigger, update(['city']), { rating: 'Hot' }, { rating: 'Cold' }), false);
    assert.equal(triggerFires(trigger, update(['rating']), { rating: 'Warm' }, { rating: 'Cold' }), false);
    assert.equal(
      triggerFires(
        trigger,
        { kind: 'create', origin: 'api', fields: ['rating'] },
        { rating: 'Hot' },
        undefined,
      ),
      false,
    );
  });

  test('field-changed with from needs the last-seen value and compares it', () => {
    const trigger = { type: 'field-changed', field: 'rating', from: 'Cold', to: 'Hot' } as const;
    assert.equal(triggerFires(trigger, update(['rating']), { rating: 'Hot' }, { rating: 'Cold' }), true);
    assert.equal(triggerFires(trigger, update(['rating']), { rating: 'Hot' }, { rating: 'Warm' }), false);
    assert.equal(triggerFires(trigger, update(['rating']), { rating: 'Hot' }, undefined), false);
  });

  test('field-changed does not fire when the value is back where the runner last saw it', () => {
    const trigger = { type: 'field-changed', field: 'city' } as const;
    assert.equal(triggerFires(trigger, update(['city']), { city: 'Oslo' }, { city: 'Oslo' }), false);
    assert.equal(triggerFires(trigger, update(['city']), { city: 'Oslo' }, { city: null }), true);
    assert.equal(triggerFires(trigger, update(['city']), { city: 'Oslo' }, undefined), true);
  });
});

describe('B7.5 triggers on what the sync does', () => {
  const sync = (fields: string[]) => ({ kind: 'update' as const, origin: 'sync' as const, fields });

  test('crm-type-changed: a qualify (lead → contact) is read from the person, seen before or not', () => {
    const qualified = { type: 'crm-type-changed', from: 'lead', to: 'contact' } as const;
    const contactFromLead = { crmType: 'contact', crmLeadId: 'L1', crmContactId: 'C1' };
    // Never seen: a contact that keeps its lead id was a lead (B3.4).
    assert.equal(
      triggerFires(qualified, sync(['crmType', 'crmContactId']), contactFromLead, undefined),
      true,
    );
    assert.equal(
      triggerFires(qualified, sync(['crmType']), { crmType: 'contact', crmContactId: 'C1' }, undefined),
      false,
      'a contact linked straight away was no lead',
    );
    // Seen: the last-seen type decides, so a change already handled does not fire twice.
    assert.equal(triggerFires(qualified, sync(['crmType']), contactFromLead, { crmType: 'lead' }), true);
    assert.equal(triggerFires(qualified, sync(['crmType']), contactFromLead, { crmType: 'contact' }), false);
    assert.equal(triggerFires(qualified, sync(['email']), contactFromLead, { crmType: 'lead' }), false);
  });

  test('crm-type-changed without from/to fires on any new type; with to only on that one', () => {
    const any = { type: 'crm-type-changed' } as const;
    assert.equal(triggerFires(any, sync(['crmType']), { crmType: 'lead', crmLeadId: 'L1' }, undefined), true);
    assert.equal(triggerFires(any, sync(['crmType']), { crmType: 'lead' }, { crmType: 'lead' }), false);
    const toLead = { type: 'crm-type-changed', to: 'lead' } as const;
    assert.equal(triggerFires(toLead, sync(['crmType']), { crmType: 'lead' }, { crmType: null }), true);
    assert.equal(triggerFires(toLead, sync(['crmType']), { crmType: 'contact' }, { crmType: null }), false);
    const fromNone = { type: 'crm-type-changed', from: null } as const;
    assert.equal(triggerFires(fromNone, sync(['crmType']), { crmType: 'lead' }, undefined), true);
  });

  test('crm-deleted fires when crmIsDeleted becomes true, once', () => {
    const trigger = { type: 'crm-deleted' } as const;
    assert.equal(triggerFires(trigger, sync(['crmIsDeleted']), { crmIsDeleted: true }, undefined), true);
    assert.equal(
      triggerFires(trigger, sync(['crmIsDeleted']), { crmIsDeleted: true }, { crmIsDeleted: false }),
      true,
    );
    assert.equal(
      triggerFires(trigger, sync(['crmIsDeleted']), { crmIsDeleted: true }, { crmIsDeleted: true }),
      false,
    );
    assert.equal(triggerFires(trigger, sync(['crmIsDeleted']), { crmIsDeleted: false }, undefined), false);
    assert.equal(triggerFires(trigger, sync(['city']), { crmIsDeleted: true }, undefined), false);
  });

  test('mayFire looks at the change alone, so the runner reads persons only when a campaign may fire', () => {
    assert.equal(mayFire({ type: 'person-created' }, { kind: 'create', origin: 'sync', fields: [] }), true);
    assert.equal(mayFire({ type: 'crm-deleted' }, sync(['crmOwnerId'])), false);
    assert.equal(mayFire({ type: 'crm-type-changed' }, sync(['crmType'])), true);
    assert.equal(mayFire({ type: 'field-changed', field: 'city' }, sync(['city'])), true);
    assert.equal(
      mayFire({ type: 'added-through-api' }, { kind: 'create', origin: 'sync', fields: [] }),
      false,
    );
  });
});

describe('B7.5 filters', () => {
  const person = { leadSource: 'Web', city: 'Oslo', rating: null, email: '' };

  test('each operator', () => {
    assert.equal(filtersMatch([{ field: 'leadSource', operator: 'equals', value: 'web' }], person), true);
    assert.equal(filtersMatch([{ field: 'leadSource', operator: 'equals', value: 'Fair' }], person), false);
    assert.equal(
      filtersMatch([{ field: 'leadSource', operator: 'not-equals', value: 'Fair' }], person),
      true,
    );
    assert.equal(filtersMatch([{ field: 'city', operator: 'contains', value: 'SL' }], person), true);
    assert.equal(filtersMatch([{ field: 'rating', operator: 'contains', value: 'x' }], person), false);
    assert.equal(filtersMatch([{ field: 'email', operator: 'is-empty' }], person), true);
    assert.equal(filtersMatch([{ field: 'rating', operator: 'is-empty' }], person), true);
    assert.equal(filtersMatch([{ field: 'city', operator: 'is-not-empty' }], person), true);
  });

  test('all filters must hold; none always holds', () => {
    assert.equal(filtersMatch([], person), true);
    assert.equal(
      filtersMatch(
        [
          { field: 'leadSource', operator: 'equals', value: 'Web' },
          { field: 'city', operator: 'equals', value: 'Bergen' },
        ],
        person,
      ),
      false,
    );
  });
});

describe('campaign validation', () => {
  test('a valid definition has no problems', () => {
    assert.deepEqual(
      validateCampaign(
        definition({
          trigger: { type: 'field-changed', field: 'rating', from: 'Cold', to: 'Hot' },
          filters: [{ field: 'leadSource', operator: 'equals', value: 'Web' }],
          steps: [
            { action: 'sync-to-crm', syncAs: 'contact', ownerId: 'x' },
            { action: 'create-task', subject: 'Call', dueInDays: 2 },
          ],
        }),
        known,
      ),
      [],
    );
  });

  test('names each problem by its path', () => {
    const problems = validateCampaign(
      definition({
        trigger: { type: 'person-created', field: 'email' } as never,
        filters: [
          { field: 'shoeSize', operator: 'is-empty' },
          { field: 'city', operator: 'equals' },
          { field: 'city', operator: 'is-empty', value: 'x' },
        ],
        steps: [{ action: 'change-owner', subject: 'x' } as never],
      }),
      known,
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [
        '/trigger/field',
        '/filters/0/field',
        '/filters/1/value',
        '/filters/2/value',
        '/steps/0/subject',
        '/steps/0/ownerId',
      ],
    );
  });

  test('a field-changed trigger needs a known field; a campaign needs a step', () => {
    const problems = validateCampaign(
      definition({ trigger: { type: 'field-changed', field: 'nope' }, steps: [] }),
      known,
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['/trigger/field', '/steps'],
    );
  });

  test('crm-type-changed takes from/to of lead, contact or null only, and no field; crm-deleted takes none', () => {
    assert.deepEqual(
      validateCampaign(
        definition({ trigger: { type: 'crm-type-changed', from: 'lead', to: 'contact' } }),
        known,
      ),
      [],
    );
    assert.deepEqual(
      validateCampaign(definition({ trigger: { type: 'crm-type-changed', from: null } }), known),
      [],
    );
    const problems = (trigger: unknown) =>
      validateCampaign(definition({ trigger: trigger as never }), known).map((problem) => problem.path);
    assert.deepEqual(problems({ type: 'crm-type-changed', to: 'account' }), ['/trigger/to']);
    assert.deepEqual(problems({ type: 'crm-type-changed', from: 'lead', to: 'lead' }), ['/trigger/to']);
    assert.deepEqual(problems({ type: 'crm-type-changed', field: 'crmType' }), ['/trigger/field']);
    assert.deepEqual(problems({ type: 'crm-deleted', to: true }), ['/trigger/to']);
    assert.deepEqual(problems({ type: 'crm-deleted' }), []);
  });

  test('watched fields are the fields of field-changed triggers', () => {
    assert.deepEqual(
      watchedFields([
        definition({ trigger: { type: 'field-changed', field: 'rating' } }),
        definition({}),
        definition({ trigger: { type: 'field-changed', field: 'city', to: 'Oslo' } }),
      ]),
      ['city', 'rating'],
    );
    assert.deepEqual(
      watchedFields([
        definition({ trigger: { type: 'crm-deleted' } }),
        definition({ trigger: { type: 'crm-type-changed' } }),
      ]),
      ['crmIsDeleted', 'crmType'],
    );
  });
});
