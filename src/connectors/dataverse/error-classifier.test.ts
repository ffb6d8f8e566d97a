import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFailure, mayHaveRun } from './error-classifier.ts';
import { toOutcome } from './record-writer.ts';

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

test('B6.1 (issue 13 item 5): a duplicate-detection rule refusing a create is a record error, not "already exists"', () => {
  // dataverse-web-api.md §4/§6: documented with HTTP 500, possibly 412; the CRM code decides either way.
  const body = JSON.stringify({
    error: {
      code: '0x80040333',
      message:
        'A record was not created or updated because a duplicate of the current record already exists.',
    },
  });
  for (const httpStatus of [500, 412]) {
    const failure = { httpStatus, crmCode: '0x80040333', message: JSON.parse(body).error.message };
    assert.deepEqual(classifyFailure(failure), { errorClass: 'record', reason: 'duplicate-detected' });
    assert.equal(mayHaveRun(failure), false, 'a refusal is a definite answer');
    // A create with a derived id (B7.2) that a rule refuses did not run before: it is rejected with the CRM's
    // message, never taken for our own earlier create.
    const outcome = toOutcome(
      {
        kind: 'create',
        entity: 'lead',
        id: '6d81b1ff-0000-0000-0000-000000000001',
        values: { lastname: 'x' },
      },
      { status: httpStatus, headers: {}, body, contentId: undefined },
    );
    assert.deepEqual(outcome, {
      status: 'rejected',
      reason: 'duplicate-detected',
      crmCode: '0x80040333',
      message:
        'A record was not created or updated because a duplicate of the current record already exists.',
      httpStatus,
    });
  }
  // B7.2's case stays "already exists": If-None-Match / a duplicate key on the same id (412, 0x80040237).
  const sameId = toOutcome(
    { kind: 'create', entity: 'lead', id: '6d81b1ff-0000-0000-0000-000000000002', values: { lastname: 'x' } },
    {
      status: 412,
      headers: {},
      contentId: undefined,
      body: JSON.stringify({
        error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
      }),
    },
  );
  assert.deepEqual(sameId, { status: 'already-exists', id: '6d81b1ff-0000-0000-0000-000000000002' });
});

test('issue 13 item 6: which transient failures may have run (a write then may have landed)', () => {
  // The answer was lost after the request was sent, or the server failed while handling it.
  for (const failure of [
    { networkCode: 'ECONNRESET' },
    { networkCode: 'UND_ERR_SOCKET' },
    { networkCode: 'UND_ERR_HEADERS_TIMEOUT' },
    { networkCode: 'UND_ERR_BODY_TIMEOUT' },
    { networkCode: 'ETIMEDOUT' },
    { httpStatus: 500, crmCode: '0x80040216', message: 'An unexpected error occurred.' },
    { httpStatus: 502 },
    { httpStatus: 503 },
    { httpStatus: 504 },
    { httpStatus: 408 },
  ]) {
    assert.equal(mayHaveRun(failure), true, JSON.stringify(failure));
  }
  // Certainly not run: throttled, or no connection was ever made; and definite answers.
  for (const failure of [
    { httpStatus: 429, crmCode: '0x80072322', message: 'Number of requests exceeded the limit' },
    { httpStatus: 503, crmCode: '0x80072326', message: 'Combined execution time exceeded' },
    { networkCode: 'ECONNREFUSED' },
    { networkCode: 'UND_ERR_CONNECT_TIMEOUT' },
    { networkCode: 'ENETUNREACH' },
    { networkCode: 'EAI_AGAIN' },
    { networkCode: 'ENOTFOUND' },
    { httpStatus: 400, crmCode: '0x80040265', message: 'Example Error Message.' },
    { httpStatus: 412, crmCode: '0x80060882', message: 'x' },
    { httpStatus: 401 },
  ]) {
    assert.equal(mayHaveRun(failure), false, JSON.stringify(failure));
  }
});
