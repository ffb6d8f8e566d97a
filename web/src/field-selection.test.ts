import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncFieldView } from './api/types.ts';
import {
  addedAttributes,
  changedEntities,
  selectionBody,
  selectionOf,
  withField,
} from './field-selection.ts';

const field = (
  entity: string,
  attribute: string,
  selected: boolean,
  policy: SyncFieldView['policy'] = null,
) =>
  ({
    entity,
    attribute,
    personField: attribute,
    type: 'string',
    access: { read: true, create: true, update: true },
    selected,
    state: selected ? 'synced' : 'available',
    stateReason: null,
    policy,
  }) satisfies SyncFieldView;

const saved = selectionOf([
  field('lead', 'firstname', true),
  field('lead', 'jobtitle', true, 'crm-wins'),
  field('lead', 'new_tier', false),
  field('contact', 'firstname', true),
]);

test('B5.4 an untouched selection changes nothing', () => {
  assert.deepEqual(changedEntities(saved, saved), []);
  assert.deepEqual(addedAttributes(saved, saved), []);
});

test('B5.5 selecting an attribute changes only its entity, and the body keeps the other policy (B4.6)', () => {
  const edited = withField(saved, 'lead', 'new_tier', true);
  assert.deepEqual(changedEntities(edited, saved), ['lead']);
  assert.deepEqual(addedAttributes(edited, saved), ['lead.new_tier']);
  assert.deepEqual(selectionBody(edited, ['lead']), {
    lead: ['firstname', { attribute: 'jobtitle', policy: 'crm-wins' }, 'new_tier'],
  });
});

test('B4.6 a policy change is a change; setting it back is none', () => {
  const edited = withField(saved, 'lead', 'firstname', true, 'marketing-wins');
  assert.deepEqual(changedEntities(edited, saved), ['lead']);
  assert.deepEqual(changedEntities(withField(edited, 'lead', 'firstname', true, null), saved), []);
});

test('deselecting removes the attribute from its entity', () => {
  const edited = withField(saved, 'contact', 'firstname', false);
  assert.deepEqual(changedEntities(edited, saved), ['contact']);
  assert.deepEqual(selectionBody(edited, ['contact']), { contact: [] });
});
