import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFailure } from './error-classifier.ts';

// Bodies are the ones quoted in the protocol reference (dataverse-web-api.md §2, §3.3, §5, §6).

test('B6.2: 429 service-protection answers are transient, whatever the code', () => {
  for (const code of ['0x80072322', '0x80072321', '0x80072326']) {
    assert.deepEqual(
      classifyFailure({
        httpStatus: 429,
        crmCode: code,
        message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
      }),
      { errorClass: 'transient', reason: 'throttled' },
    );
  }
});

test('B6.2: 5xx and network failures are transient; 501 is not', () => {
  assert.deepEqual(classifyFailure({ httpStatus: 503 }), { errorClass: 'transient', reason: 'server' });
  assert.deepEqual(classifyFailure({ httpStatus: 500, message: 'Internal' }), {
    errorClass: 'transient',
    reason: 'server',
  });
  assert.deepEqual(classifyFailure({ networkCode: 'ECONNRESET' }), {
    errorClass: 'transient',
    reason: 'network',
  });
  assert.deepEqual(classifyFailure({ networkCode: 'UND_ERR_HEADERS_TIMEOUT' }), {
    errorClass: 'transient',
    reason: 'timeout',
  });
  assert.equal(classifyFailure({ httpStatus: 501 }).errorClass, 'record');
});

test('B6.3: authentication, unreachable host and entity privileges are pass-level', () => {
  assert.deepEqual(classifyFailure({ httpStatus: 401 }), { errorClass: 'pass', reason: 'auth' });
  assert.deepEqual(classifyFailure({ networkCode: 'ENOTFOUND' }), {
    errorClass: 'pass',
    reason: 'unreachable',
  });
  assert.deepEqual(classifyFailure({ networkCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }), {
    errorClass: 'pass',
    reason: 'unreachable',
  });
  assert.deepEqual(
    classifyFailure({
      httpStatus: 403,
      crmCode: '0x80040220',
      message:
        "Principal user (Id=e0d5b5ab-4bb5-ec11-983f-000d3a8d6f1c, type=8, roleCount=4, privilegeCount=783, accessMode=0), is missing prvReadnew_subscription privilege (Id=5d5a3dd0-7d07-4a09-8b3d-c8d2ba63bff1) on OTC=10725 for entity 'new_subscription' (LocalizedName='Subscription'). context.Caller=e0d5b5ab-4bb5-ec11-983f-000d3a8d6f1c",
    }),
    { errorClass: 'pass', reason: 'entity-privilege' },
  );
  assert.deepEqual(
    classifyFailure({ httpStatus: 404, message: "Resource not found for the segment 'new_gones'." }),
    { errorClass: 'pass', reason: 'unknown-entity' },
  );
});

test('B6.1: record-level rejections keep their reason', () => {
  const cases: [number, string, string, string][] = [
    [400, '0x80040265', 'Example Error Message.', 'plugin'],
    [
      400,
      '0x80044331',
      "A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'.",
      'length',
    ],
    [
      400,
      '0x8004431A',
      "A validation error occurred. The value 5 of 'msdyn_paymentterms' on record of type 'x' is outside the valid range. Accepted Values: 1,2,3,192350001",
      'option',
    ],
    [404, '0x80040217', 'contact With Id = 6d81b1ff-0000-0000-0000-000000000000 Does Not Exist', 'not-found'],
    [
      403,
      '0x8004f507',
      'Caller user with Id 1 does not have update permissions to a Email secured field on entity Example table. The requested operation could not be completed.',
      'secured-field',
    ],
    [
      500,
      '0x80040333',
      'A record was not created or updated because a duplicate of the current record already exists.',
      'duplicate',
    ],
  ];
  for (const [httpStatus, crmCode, message, reason] of cases) {
    assert.deepEqual(
      classifyFailure({ httpStatus, crmCode, message }),
      { errorClass: 'record', reason },
      crmCode,
    );
  }
});

test('B4.5: a 412 is a stale ETag unless it says the key exists (documented with an empty code)', () => {
  assert.deepEqual(
    classifyFailure({
      httpStatus: 412,
      crmCode: '',
      message: "The version of the existing record doesn't match the RowVersion property provided.",
    }),
    { errorClass: 'record', reason: 'stale-etag' },
  );
  assert.deepEqual(
    classifyFailure({ httpStatus: 412, crmCode: '0x80060882', message: 'x' }).reason,
    'stale-etag',
  );
  assert.deepEqual(
    classifyFailure({
      httpStatus: 412,
      crmCode: '',
      message: 'A record with matching key values already exists.',
    }),
    { errorClass: 'record', reason: 'duplicate' },
  );
});

test('B5.6: an unknown property is field-level and names the attribute (lookups by logical name)', () => {
  assert.deepEqual(
    classifyFailure({
      httpStatus: 400,
      crmCode: '0x80060888',
      message: "Could not find a property named 'new_tier' on type 'Microsoft.Dynamics.CRM.contact'.",
    }),
    { errorClass: 'field', reason: 'unknown-property', field: 'new_tier' },
  );
  assert.equal(
    classifyFailure({
      httpStatus: 400,
      message:
        "Could not find a property named '_new_regionid_value' on type 'Microsoft.Dynamics.CRM.contact'.",
    }).field,
    'new_regionid',
  );
});

test('an unknown bound action is not mistaken for an unknown field', () => {
  assert.deepEqual(
    classifyFailure({
      httpStatus: 400,
      crmCode: '0x80060888',
      message:
        "Could not find a property named 'Microsoft.Dynamics.CRM.QualifyLead' on type 'Microsoft.Dynamics.CRM.lead'.",
    }),
    { errorClass: 'record', reason: 'invalid-request' },
  );
});

test('B2.5: an expired delta token asks for a reconcile', () => {
  assert.deepEqual(
    classifyFailure({
      httpStatus: 400,
      crmCode: '0x80044352',
      message: 'Version stamp associated with the client has expired. Please perform a full sync.',
    }),
    { errorClass: 'expired-cursor', reason: 'delta-expired' },
  );
});
