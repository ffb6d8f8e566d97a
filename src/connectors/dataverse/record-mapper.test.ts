import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AttributeMetadata } from '../connector.ts';
import {
  idFromEntityUrl,
  sanitizeCrmText,
  sanitizeCrmValue,
  toBody,
  toRecord,
  wireColumns,
  type EntityShape,
} from './record-mapper.ts';

function attribute(logicalName: string, attributeType: string, targets?: string[]): AttributeMetadata {
  return {
    logicalName,
    schemaName: logicalName,
    metadataId: `${logicalName}-id`,
    attributeType,
    attributeTypeName: undefined,
    isValidForRead: true,
    isValidForCreate: true,
    isValidForUpdate: true,
    isSecured: false,
    isCustomAttribute: false,
    requiredLevel: 'None',
    attributeOf: undefined,
    ...(targets ? { targets } : {}),
  };
}

const contact: EntityShape = {
  entity: {
    logicalName: 'contact',
    schemaName: 'Contact',
    entitySetName: 'contacts',
    primaryIdAttribute: 'contactid',
    primaryNameAttribute: 'fullname',
    changeTrackingEnabled: true,
    optimisticConcurrencyEnabled: true,
  },
  attributes: new Map(
    [
      attribute('firstname', 'String'),
      attribute('parentcustomerid', 'Customer', ['account', 'contact']),
      attribute('ownerid', 'Owner', ['systemuser', 'team']),
      attribute('originatingleadid', 'Lookup', ['lead']),
    ].map((a) => [a.logicalName, a]),
  ),
};

const sets: Record<string, string> = {
  account: 'accounts',
  team: 'teams',
  lead: 'leads',
  systemuser: 'systemusers',
};

test('lookups are selected as _x_value and the primary key is always read', () => {
  assert.deepEqual(wireColumns(contact, ['firstname', 'ownerid', 'originatingleadid']), [
    'contactid',
    'firstname',
    '_ownerid_value',
    '_originatingleadid_value',
  ]);
});

test('B1.5: a row becomes logical values; lookups carry their target entity (team owners included)', () => {
  const record = toRecord(contact, {
    '@odata.etag': 'W/"72201545"',
    contactid: '49b0be2e-d01c-ed11-b83e-000d3a572421',
    firstname: 'Yvonne',
    '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'team',
    _ownerid_value: '70bf4d48-34cb-ed11-b596-0022481d68cd',
    _originatingleadid_value: '11111111-34cb-ed11-b596-0022481d68cd',
    _parentcustomerid_value: null,
  });
  assert.equal(record.id, '49b0be2e-d01c-ed11-b83e-000d3a572421');
  assert.equal(record.etag, 'W/"72201545"');
  assert.deepEqual(record.values, {
    contactid: '49b0be2e-d01c-ed11-b83e-000d3a572421',
    firstname: 'Yvonne',
    ownerid: { id: '70bf4d48-34cb-ed11-b596-0022481d68cd', entity: 'team' },
    originatingleadid: { id: '11111111-34cb-ed11-b596-0022481d68cd', entity: 'lead' },
    parentcustomerid: null,
  });
});

test('writes bind lookups through the right navigation property', () => {
  const body = toBody(
    contact,
    {
      firstname: 'Ann',
      parentcustomerid: { id: 'a1', entity: 'account' },
      ownerid: { id: 't1', entity: 'team' },
      originatingleadid: { id: 'l1', entity: 'lead' },
      regardingobjectid: {
        id: 'c1',
        entity: 'contact',
        navigationProperty: 'regardingobjectid_contact_task',
      },
    },
    (entity) => sets[entity] ?? `${entity}s`,
  );
  assert.deepEqual(body, {
    firstname: 'Ann',
    'parentcustomerid_account@odata.bind': '/accounts(a1)',
    'ownerid@odata.bind': '/teams(t1)',
    'originatingleadid@odata.bind': '/leads(l1)',
    'regardingobjectid_contact_task@odata.bind': '/contacts(c1)',
  });
});

test('the created id is read from OData-EntityId', () => {
  assert.equal(
    idFromEntityUrl('https://org/api/data/v9.2/tasks(E73FFC82-E292-ED11-AAD1-000D3A9933C9)'),
    'e73ffc82-e292-ed11-aad1-000d3a9933c9',
  );
  assert.equal(idFromEntityUrl("https://org/api/data/v9.2/contacts(emailaddress1='a@b.c')"), undefined);
  assert.equal(idFromEntityUrl(undefined), undefined);
});

test('B1.5: key handling is remembered per shape, so rows with other keys or another shape map on their own', () => {
  const rows = [
    { contactid: 'c1', _originatingleadid_value: 'l1', firstname: 'A' },
    { '@odata.etag': 'W/"2"', contactid: 'c2', _originatingleadid_value: null, lastname: 'B' },
  ];
  assert.deepEqual(
    rows.map((row) => toRecord(contact, row)),
    [
      {
        id: 'c1',
        etag: undefined,
        values: { contactid: 'c1', originatingleadid: { id: 'l1', entity: 'lead' }, firstname: 'A' },
      },
      { id: 'c2', etag: 'W/"2"', values: { contactid: 'c2', originatingleadid: null, lastname: 'B' } },
    ],
  );
  // The same wire key under a shape where the lookup has two targets: no target is guessed.
  const polymorphic: EntityShape = {
    entity: contact.entity,
    attributes: new Map([
      ['originatingleadid', attribute('originatingleadid', 'Lookup', ['lead', 'contact'])],
    ]),
  };
  assert.deepEqual(toRecord(polymorphic, rows[0]).values.originatingleadid, { id: 'l1', entity: undefined });
  assert.deepEqual(toRecord(contact, rows[0]).values.originatingleadid, { id: 'l1', entity: 'lead' });
});

// PostgreSQL refuses U+0000 and lone surrogates in text and jsonb; one such CRM value used to fail its page.
test('CRM strings lose U+0000 and get U+FFFD for a lone surrogate; clean strings come back as they are', () => {
  assert.equal(sanitizeCrmText('Ada\u0000 Lovelace\u0000'), 'Ada Lovelace');
  assert.equal(sanitizeCrmText('x\ud800y'), 'x\ufffdy');
  assert.equal(sanitizeCrmText('\udfff\ud800'), '\ufffd\ufffd');
  assert.equal(sanitizeCrmText('\u0000\ud83d'), '\ufffd');
  // A NUL between the halves of a pair: removing it leaves a well-formed pair, which is kept.
  assert.equal(sanitizeCrmText('\ud83d\u0000\ude00'), '😀');
  for (const clean of ['', 'Zoë', '😀 ok', '東京', 'tab\tnew\nline']) {
    assert.equal(sanitizeCrmText(clean), clean);
  }
});

test('sanitised CRM values: strings and keys at any depth; numbers, booleans and null untouched', () => {
  assert.deepEqual(sanitizeCrmValue({ 'a\u0000': ['b\ud800', { c: 'd\u0000' }], n: 1, t: true, z: null }), {
    a: ['b\ufffd', { c: 'd' }],
    n: 1,
    t: true,
    z: null,
  });
  for (const scalar of [0, -1.5, false, null]) assert.equal(sanitizeCrmValue(scalar), scalar);
});

test('B6.1: a CRM row with NUL or lone surrogates maps to values every store can hold', () => {
  const record = toRecord(contact, {
    '@odata.etag': 'W/"7\u0000"',
    contactid: '49b0be2e-d01c-ed11-b83e-000d3a572421',
    firstname: 'Yv\u0000onne',
    lastname: '\udc00Smith',
    description: { nested: ['x\u0000'] },
    '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'team\u0000',
    _ownerid_value: '70bf4d48-34cb-ed11-b596-0022481d68cd\u0000',
    'odd\u0000key': 'v',
    numberofemployees: 12,
    donotemail: false,
  });
  assert.equal(record.etag, 'W/"7"');
  assert.deepEqual(record.values, {
    contactid: '49b0be2e-d01c-ed11-b83e-000d3a572421',
    firstname: 'Yvonne',
    lastname: '\ufffdSmith',
    description: { nested: ['x'] } as never,
    ownerid: { id: '70bf4d48-34cb-ed11-b596-0022481d68cd', entity: 'team' },
    oddkey: 'v',
    numberofemployees: 12,
    donotemail: false,
  });
  const text = JSON.stringify(record);
  assert.ok(!text.includes('\\u0000') && text.isWellFormed(), text);
  // Reading the same CRM value again maps to the same value, so the base matches and nothing echoes (B4.4).
  const again = toRecord(contact, { contactid: 'c1', firstname: 'Yv\u0000onne', lastname: '\udc00Smith' });
  assert.equal(again.values.firstname, record.values.firstname);
  assert.equal(again.values.lastname, record.values.lastname);
});

test('rows of one shape in different key orders, with keys missing or added, map as each row says', () => {
  const rows: Record<string, unknown>[] = [
    { contactid: 'c1', firstname: 'Ann', _ownerid_value: 'u1', lastname: 'A' },
    { contactid: 'c2', firstname: 'Bob', _ownerid_value: 'u2', lastname: 'B' },
    { lastname: 'C', _ownerid_value: 'u3', contactid: 'c3' },
    { contactid: 'c4', firstname: 'Dan', _ownerid_value: 'u4', lastname: 'D', jobtitle: 'CEO' },
    { contactid: 'c5', firstname: 'Eve', _ownerid_value: null, lastname: 'E' },
  ];
  const records = rows.map((row) => toRecord(contact, row));
  assert.deepEqual(
    records.map((record) => record.values),
    [
      { contactid: 'c1', firstname: 'Ann', ownerid: { id: 'u1', entity: undefined }, lastname: 'A' },
      { contactid: 'c2', firstname: 'Bob', ownerid: { id: 'u2', entity: undefined }, lastname: 'B' },
      { lastname: 'C', ownerid: { id: 'u3', entity: undefined }, contactid: 'c3' },
      {
        contactid: 'c4',
        firstname: 'Dan',
        ownerid: { id: 'u4', entity: undefined },
        lastname: 'D',
        jobtitle: 'CEO',
      },
      { contactid: 'c5', firstname: 'Eve', ownerid: null, lastname: 'E' },
    ],
  );
  assert.deepEqual(Object.keys(records[2].values), ['lastname', 'ownerid', 'contactid']);
});

test('B6.1: a page read as `clean` (no \\u escape in its body) maps to what sanitising gives', () => {
  const rows = JSON.parse(
    '{"value":[{"@odata.etag":"W/\\"7\\"","contactid":"c1","firstname":"Jürgen 😀","_ownerid_value":"u1",' +
      '"_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"team","numberofemployees":3}]}',
  ) as { value: Record<string, unknown>[] };
  for (const row of rows.value) {
    assert.deepEqual(toRecord(contact, row, { clean: true }), toRecord(contact, row));
  }
});
