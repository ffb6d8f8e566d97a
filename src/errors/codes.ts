/**
 * The one registry of Syncline's stable error codes. Every error a user, an operator or an API client can see
 * carries one of these codes. Codes never change meaning once released; add new ones instead.
 *
 * Each entry: the HTTP status the API answers with, and a description for operators (docs/errors.md is
 * generated from it by `npm run docs:errors`).
 */
export const errorCodes = {
  // --- configuration and start-up -----------------------------------------------------------------
  CONFIG_INVALID: {
    status: 500,
    description: 'An environment variable or CLI flag has an invalid value. The message names the setting.',
  },

  // --- HTTP API: authentication and request validation --------------------------------------------
  UNAUTHORIZED: {
    status: 401,
    description: 'The request has no `Authorization: Bearer <api key>` header, or the key is wrong.',
  },
  INVALID_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: {
    status: 400,
    description: 'The request body, path or query does not match the schema; `details` lists each problem.',
  },
  INVALID_CHARACTERS: {
    status: 400,
    description:
      'A string in the body, query or path holds a NUL character (U+0000) or a lone UTF-16 surrogate (e.g. "\\ud800"), ' +
      'which PostgreSQL cannot store as text (refused on every backend alike); `details.problems` names each ' +
      'place (`body.firstName`, `query.email`).',
  },
  UNKNOWN_FIELD: { status: 400, description: 'The body names a person field that does not exist.' },
  READ_ONLY_FIELD: {
    status: 400,
    description:
      'The body tries to set a system field (crmType, crmLeadId, …), which only the sync may write.',
  },
  INVALID_ID: {
    status: 400,
    description: 'A path id is malformed (person ids and CRM ids are UUIDs); `details` names the parameter.',
  },
  BAD_REQUEST: {
    status: 400,
    description:
      'The request itself is malformed (URL encoding, Content-Length, headers); the message says how.',
  },
  INVALID_CURSOR: {
    status: 400,
    description: 'The pagination cursor is malformed or was not issued by this server.',
  },
  NOT_FOUND: { status: 404, description: 'No such resource (person, field, entity, campaign, error…).' },
  ROUTE_NOT_FOUND: { status: 404, description: 'No such API route.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The route exists but not with this HTTP method.' },
  CONFLICT: {
    status: 409,
    description: 'The request conflicts with the current state; the message says how.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The request body is not `application/json`.' },
  NOT_SUPPORTED: { status: 400, description: 'The operation is not supported by Syncline (e.g. B5.7).' },
  INTERNAL: {
    status: 500,
    description: 'An unexpected server error. The log has the details; please report it.',
  },

  // --- CRM (Dataverse) ----------------------------------------------------------------------------
  CRM_UNREACHABLE: {
    status: 502,
    description: 'The Dataverse organisation URL could not be reached (DNS, TLS, network, time-out).',
  },
  CRM_AUTH_FAILED: {
    status: 502,
    description: 'Dataverse or Entra ID refused the credentials (tenant, client id/secret, or static token).',
  },
  CRM_REJECTED: {
    status: 422,
    description:
      'Dataverse rejected a write of one record (validation rule, plug-in, length, option, privilege). ' +
      '`details.crmCode` holds the CRM error code.',
  },
  CRM_THROTTLED: {
    status: 503,
    description: 'Dataverse service-protection limits (429) persisted beyond the retry budget.',
  },
  CRM_SERVER_ERROR: {
    status: 502,
    description: 'Dataverse kept answering 5xx beyond the retry budget; the work stays pending (B6.2).',
  },
  CRM_PRIVILEGE_MISSING: {
    status: 502,
    description:
      'The sync user lacks a privilege on a whole entity (e.g. prvReadContact); give its security role the privilege (B6.3).',
  },
  CRM_FIELD_UNKNOWN: {
    status: 502,
    description:
      'Dataverse no longer knows a synced attribute ("Could not find a property named …"); the field is quarantined (B5.6).',
  },
  CRM_ENTITY_UNAVAILABLE: {
    status: 502,
    description:
      'The entity does not exist in the CRM (deleted custom entity, typo) or lacks a capability the call needs.',
  },
  CRM_CURSOR_EXPIRED: {
    status: 409,
    description:
      'Dataverse expired the change-tracking token (0x80044352, e.g. after a long pause); the entity is reconciled (B2.5).',
  },
  CRM_PROTOCOL_ERROR: {
    status: 502,
    description: 'Dataverse answered something Syncline cannot interpret (unexpected body or status).',
  },

  // --- sync administration ------------------------------------------------------------------------
  SYNC_UNAVAILABLE: {
    status: 503,
    description:
      'The sync engine is not running in this process (e.g. it failed to start), so the sync-administration routes cannot answer.',
  },

  // --- flow actions and trigger campaigns (B7) ------------------------------------------------------
  FLOWS_UNAVAILABLE: {
    status: 503,
    description:
      'This process has no CRM connection for flow actions (it was started without one), so the action cannot run.',
  },
  UNKNOWN_OWNER: {
    status: 400,
    description:
      'The `ownerId` is neither a CRM user (systemuser) nor a team, in the CRM mirror or in the CRM itself.',
  },
  PERSON_NOT_SYNCED: {
    status: 409,
    description:
      'The action needs a person linked to a CRM lead or contact (e.g. Create Task, B7.6); run Sync Person to Microsoft first.',
  },
  CRM_RECORD_DELETED: {
    status: 409,
    description:
      'The person’s CRM record was deleted in the CRM (B3.6); the person is no longer synced and the flow action does not recreate it.',
  },
  VALUE_NOT_ACCEPTED: {
    status: 422,
    description:
      'A person value cannot be written to its CRM attribute (an option label the CRM does not have, too long, wrong type); ' +
      '`details.attribute` names it. Nothing was created; fix the value and retry.',
  },

  // --- store ---------------------------------------------------------------------------------------
  STORE_UNAVAILABLE: {
    status: 503,
    description: 'The marketing database (SQLite file or PostgreSQL server) cannot be opened or reached.',
  },
  MIGRATION_FAILED: {
    status: 500,
    description: 'A database migration failed; nothing after it was applied.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof errorCodes;
