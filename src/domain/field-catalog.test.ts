import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildFieldMappings,
  defaultSelection,
  personFieldFor,
  type AttributeAccess,
} from './field-catalog.ts';

const attribute = (logicalName: string, access: Partial<AttributeAccess> = {}): AttributeAccess => ({
  logicalName,
  kind: 'string',
  isSecured: false,
  read: true,
  create: true,
  update: true,
  ...access,
});

test('the default selection is the default mapping of interfaces.md §6', () => {
  const contact = defaultSelection('contact');
  assert.ok(contact.includes('emailaddress1') && contact.includes('donotbulkemail'));
  assert.ok(!contact.includes('subject'), 'topic is lead-only');
  assert.ok(defaultSelection('lead').includes('leadqualitycode'));
  assert.ok(defaultSelection('account').includes('websiteurl'));
  assert.deepEqual(defaultSelection('opportunity'), []);
});

test('B5.2 the same logical name on lead and contact is one person field; others are named by logical name', () => {
  assert.equal(personFieldFor('lead', 'emailaddress1'), 'email');
  assert.equal(personFieldFor('contact', 'emailaddress1'), 'email');
  assert.equal(personFieldFor('contact', 'new_tier'), 'new_tier');
  assert.equal(personFieldFor('account', 'name'), 'company');
  assert.equal(personFieldFor('account', 'new_segment'), undefined);
});

test('B5.1 unreadable (secured) attributes are never mapped; read-only ones are pulled, never pushed', () => {
  const mappings = buildFieldMappings({
    entity: 'contact',
    twoWay: true,
    attributes: [
      attribute('firstname'),
      attribute('new_creditscore', { isSecured: true, read: false, update: false }),
      attribute('new_score', { update: false }),
    ],
    selected: ['firstname', 'new_creditscore', 'new_score'],
  });
  assert.deepEqual(
    mappings.map((mapping) => [mapping.attribute.logicalName, mapping.personField, mapping.policy]),
    [
      ['firstname', 'firstName', 'two-way'],
      ['new_score', 'new_score', 'crm-to-marketing'],
    ],
  );
});

test('B1.4 account company fields are CRM → marketing only; B4.6 overrides apply to pushable fields', () => {
  const account = buildFieldMappings({
    entity: 'account',
    twoWay: false,
    attributes: [attribute('name')],
    selected: ['name'],
  });
  assert.equal(account[0].policy, 'crm-to-marketing');
  const lead = buildFieldMappings({
    entity: 'lead',
    twoWay: true,
    attributes: [attribute('companyname'), attribute('jobtitle')],
    selected: ['companyname', 'jobtitle'],
    overrides: { jobtitle: 'crm-wins' },
  });
  assert.deepEqual(
    lead.map((mapping) => mapping.policy),
    ['two-way', 'crm-wins'],
  );
});

test('B5.6 quarantined attributes are left out of the mapping', () => {
  const mappings = buildFieldMappings({
    entity: 'lead',
    twoWay: true,
    attributes: [attribute('firstname'), attribute('new_gone')],
    selected: ['firstname', 'new_gone'],
    excluded: new Set(['new_gone']),
  });
  assert.deepEqual(
    mappings.map((mapping) => mapping.attribute.logicalName),
    ['firstname'],
  );
});
