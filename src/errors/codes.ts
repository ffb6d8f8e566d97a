/**
 * The one registry of Syncline's stable error codes. Every error a user, an operator or an API client can see
 * carries one of these codes. Codes never change meaning once released; add new ones instead.
 *
 * Each entry: the HTTP status the API answers with, what the code means and what an operator does about it.
 * docs/errors.md is generated from this registry by `npm run docs:errors` (a test fails when it is stale).
 */
export interface ErrorCodeEntry {
  /** The HTTP status the API answers with. */
  readonly status: number;
  /** What happened, for whoever reads the error (API client, operator, log). */
  readonly description: string;
  /** What an operator does about it, written for the marketing-ops / rev-ops engineers who run Syncline. */
  readonly action: string;
}

export const errorCodes = {
  // --- configuration and start-up -----------------------------------------------------------------
  CONFIG_INVALID: {
    status: 500,
    description: 'An environment variable or CLI flag has an invalid value. The message names the setting.',
    action:
      'Read the message: it names each bad setting. Fix the environment variable or flag (README, Configuration) and start again; `syncline check` needs `SYNCLINE_DYNAMICS_URL` and credentials.',
  },

  CONFIG_IDENTITIES_INVALID: {
    status: 500,
    description:
      'The lists of application users do not match (interfaces.md §2): `SYNCLINE_DYNAMICS_CLIENT_ID` and `SYNCLINE_DYNAMICS_CLIENT_SECRET` (or `SYNCLINE_DYNAMICS_TOKEN`) hold comma-separated lists of different lengths, an empty or repeated entry, or `SYNCLINE_DYNAMICS_TENANT_ID` holds a list. The message names the variables and positions, never a value.',
    action:
      'Give one secret per client id, in the same order, each application user once, and a single tenant id; a secret cannot contain a comma (generate a new one if it does). Each client id must be an application user of its own in the Dataverse organisation (Power Platform admin center → the environment → Settings → Application users), with the same security role and field security profiles. Then run `syncline check`, which tries every one.',
  },

  CONFIG_NOTIFY_INVALID: {
    status: 500,
    description:
      'A notification setting is wrong (B6.6, interfaces.md §2): `SYNCLINE_NOTIFY_URL` is not an http(s) URL or holds a user name or password, `SYNCLINE_NOTIFY_FORMAT` is not `json`, `slack` or `teams`, or `SYNCLINE_NOTIFY_SECRET` is shorter than 16 characters or set without a URL. The message names each setting, never its value (a Slack or Teams webhook URL is a credential).',
    action:
      'Fix the settings the message names (README, Configuration) and start again. Use the webhook URL exactly as Slack or Teams gave it; to have POSTs signed, set `SYNCLINE_NOTIFY_SECRET` to a long random string and verify `X-Syncline-Signature` in the receiver. Unset `SYNCLINE_NOTIFY_URL` to only show notifications in the UI and the log.',
  },

  // --- HTTP API: authentication and request validation --------------------------------------------
  UNAUTHORIZED: {
    status: 401,
    description: 'The request has no `Authorization: Bearer <api key>` header, or the key is wrong.',
    action:
      'Send the API key as `Authorization: Bearer <key>`. Lost the generated key? Set `SYNCLINE_API_KEY` to a key of your choice and restart.',
  },
  INVALID_JSON: {
    status: 400,
    description: 'The request body is not valid JSON.',
    action:
      'Fix the client or integration that built the body (a trailing comma, unquoted names, a truncated payload); nothing was changed.',
  },
  VALIDATION_FAILED: {
    status: 400,
    description: 'The request body, path or query does not match the schema; `details` lists each problem.',
    action:
      'Correct each problem listed in `details` (field, expected type or format) and resend; nothing was changed.',
  },
  UNKNOWN_FIELD: {
    status: 400,
    description: 'The body names a person field that does not exist.',
    action:
      'Check the spelling against `GET /api/v1/person-fields`, or add a marketing-only field with `POST /api/v1/person-fields` first.',
  },
  INVALID_CHARACTERS: {
    status: 400,
    description:
      'A string in the body, query or path holds a NUL character (U+0000) or a lone UTF-16 surrogate (e.g. "\\ud800"), ' +
      'which PostgreSQL cannot store as text (refused on every backend alike); `details.problems` names each ' +
      'place (`body.firstName`, `query.email`).',
    action:
      'Fix the client or import that sent the value: strip NUL characters and broken UTF-16 (often from a bad encoding conversion or a cut emoji) before sending; nothing was changed.',
  },
  READ_ONLY_FIELD: {
    status: 400,
    description:
      'The body tries to set a system field (crmType, crmLeadId, …), which only the sync may write.',
    action:
      'Leave CRM-managed fields out of the body; change ownership with the Change Owner flow action, and the CRM link by syncing the person.',
  },
  INVALID_ID: {
    status: 400,
    description: 'A path id is malformed (person ids and CRM ids are UUIDs); `details` names the parameter.',
    action: "Use the id exactly as the API returned it (a UUID); a CRM id is the record's GUID in Dynamics.",
  },
  BAD_REQUEST: {
    status: 400,
    description:
      'The request itself is malformed (URL encoding, Content-Length, headers); the message says how.',
    action:
      'Fix the client that sent the request (URL encoding, headers, Content-Length); a proxy rewriting requests can cause it too.',
  },
  INVALID_CURSOR: {
    status: 400,
    description: 'The pagination cursor is malformed or was not issued by this server.',
    action:
      'Start the listing again without `cursor` and pass on only the `nextCursor` values this server returns.',
  },
  NOT_FOUND: {
    status: 404,
    description: 'No such resource (person, field, entity, campaign, error…).',
    action:
      'Check the id: the record may have been deleted (in Syncline or, for mirror rows, in the CRM). List the collection to find the current id.',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    description: 'No such API route.',
    action: 'Check the path against the API reference at `/docs`; all routes start with `/api/v1/`.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: 'The route exists but not with this HTTP method.',
    action: 'Use one of the methods the API reference at `/docs` lists for this path.',
  },
  CONFLICT: {
    status: 409,
    description: 'The request conflicts with the current state; the message says how.',
    action:
      'Read the message, bring your request in line with the current state (e.g. wait for a backfill to finish, pick another field name) and retry.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description: 'The request body exceeds the size limit.',
    action: 'Send fewer records per request, or split the body into several requests.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The request body is not `application/json`.',
    action: 'Send the body as JSON with the header `Content-Type: application/json`.',
  },
  URL_TOO_LONG: {
    status: 414,
    description:
      'The request URL is longer than the server accepts (8,192 bytes; 16 KB together with the headers).',
    action:
      'Shorten the URL: page through a listing with `limit` and `cursor` instead of long filters, and send data in a JSON body, not in the query string.',
  },
  PATH_PARAMETER_TOO_LONG: {
    status: 414,
    description:
      'A path parameter (an id, an entity name) is longer than any the API has: at most 100 characters. `details` has the length.',
    action:
      'Use the id exactly as the API returned it (person and CRM ids are 36-character UUIDs, entities logical names); a long path segment usually means a URL was built from the wrong value.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    description:
      'The request line and headers together exceed the server limit (16 KB), so the request was not read.',
    action:
      'Send fewer or shorter headers (a proxy or browser piling up cookies is the usual cause) and keep the URL short; data belongs in a JSON body.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    description: 'The client did not send the complete request in time, so the server closed the connection.',
    action:
      'Retry; if it recurs, check the network between the client and Syncline (a proxy holding requests).',
  },
  CRM_FIELD_CREATION_NOT_SUPPORTED: {
    status: 400,
    description:
      'The request would create a field in the CRM: a person field with a CRM mapping, or a selection naming an attribute the CRM does not have. Syncline never creates CRM fields (B5.7); nothing was changed.',
    action:
      'Create the attribute in Dynamics 365 (Power Apps → Tables → the table → Columns), then select it on the Fields page (`PUT /api/v1/sync/fields`); it becomes a person field by itself (B5.2). A marketing-only field needs no CRM mapping: `POST /api/v1/person-fields {name, type}`.',
  },
  NOT_SUPPORTED: {
    status: 400,
    description:
      'The operation is not supported by Syncline (creating CRM fields has its own code, CRM_FIELD_CREATION_NOT_SUPPORTED).',
    action:
      'Syncline deliberately does not do this; the message says what to do instead (often: make the change in the CRM).',
  },
  INTERNAL: {
    status: 500,
    description: 'An unexpected server error. The log has the details; please report it.',
    action:
      'Retry once; if it persists, collect the server log lines from the time of the error and report a bug with them.',
  },

  // --- CRM (Dataverse) ----------------------------------------------------------------------------
  CRM_UNREACHABLE: {
    status: 502,
    description: 'The Dataverse organisation URL could not be reached (DNS, TLS, network, time-out).',
    action:
      'Check `SYNCLINE_DYNAMICS_URL` (the organisation URL, e.g. https://contoso.crm.dynamics.com), DNS, proxy and firewall rules from the Syncline host; `syncline check` tests the connection. Work stays pending and syncs once the CRM is reachable.',
  },
  CRM_AUTH_FAILED: {
    status: 502,
    description: 'Dataverse or Entra ID refused the credentials (tenant, client id/secret, or static token).',
    action:
      'Check the tenant id, client id and client secret (an expired secret is the usual cause) and that the application user exists and is enabled in the Dynamics environment; then run `syncline check`.',
  },
  CRM_REJECTED: {
    status: 422,
    description:
      'Dataverse rejected a write of one record (validation rule, plug-in, length, option, privilege). ' +
      '`details.crmCode` holds the CRM error code.',
    action:
      'Open the sync error (`GET /api/v1/sync/errors` or the Errors page): fix the value in Syncline or the rule in the CRM (`details.crmCode`, the plug-in or validation message), then retry the error or edit the person.',
  },
  CRM_THROTTLED: {
    status: 503,
    description: 'Dataverse service-protection limits (429) persisted beyond the retry budget.',
    action:
      "Nothing is lost: the work stays pending and the next pass continues. If it happens often, lower other integrations' load on the same application user or add application users (comma-separated client ids) to spread requests.",
  },
  CRM_SERVER_ERROR: {
    status: 502,
    description: 'Dataverse kept answering 5xx beyond the retry budget; the work stays pending (B6.2).',
    action:
      'Nothing is lost: the work stays pending and is retried on the next pass. If it persists, check the Dynamics 365 service health in the Power Platform admin center.',
  },
  CRM_PRIVILEGE_MISSING: {
    status: 502,
    description:
      'The sync user lacks a privilege on a whole entity (e.g. prvReadContact); give its security role the privilege (B6.3).',
    action:
      "Give the sync user's security role the privilege named in the message (e.g. Read on Contact) in the Dynamics environment, then run `syncline check` and let the next pass run.",
  },
  CRM_FIELD_UNKNOWN: {
    status: 502,
    description:
      'Dataverse no longer knows a synced attribute ("Could not find a property named …"); the field is quarantined (B5.6).',
    action:
      'If the attribute was removed on purpose, deselect the field on the Fields page; if it was renamed or re-created, select the new attribute. Other fields keep syncing meanwhile.',
  },
  CRM_ENTITY_UNAVAILABLE: {
    status: 502,
    description:
      'The entity does not exist in the CRM (deleted custom entity, typo) or lacks a capability the call needs.',
    action:
      "Check the entity's logical name and that it exists in this environment (custom entities are environment-specific); remove it from the selection if it was deleted.",
  },
  CRM_CURSOR_EXPIRED: {
    status: 409,
    description:
      'Dataverse expired the change-tracking token (0x80044352, e.g. after a long pause); the entity is reconciled (B2.5).',
    action:
      'Nothing to do: Syncline re-reads the entity and reconciles it automatically; the pass takes longer once.',
  },
  CRM_PROTOCOL_ERROR: {
    status: 502,
    description: 'Dataverse answered something Syncline cannot interpret (unexpected body or status).',
    action:
      'Retry the pass; if it persists, check for a proxy or gateway altering responses, then report it with the log lines around the error.',
  },

  // --- sync administration ------------------------------------------------------------------------
  SYNC_UNAVAILABLE: {
    status: 503,
    description:
      'The sync engine is not running in this process (e.g. it failed to start), so the sync-administration routes cannot answer.',
    action:
      'Look at the start-up log for why the sync did not start (often CRM_AUTH_FAILED or STORE_UNAVAILABLE), fix that and restart `syncline start`.',
  },

  ENGINE_ALREADY_RUNNING: {
    status: 409,
    description:
      'Another Syncline engine (`syncline start` or `sync --once`) already runs sync work on this database; a second one would overwrite its sync state (B2.9).',
    action:
      'Run one engine per database: stop the other `syncline start` (or wait for its `sync --once`) before starting this one. Check for a service manager that restarted it, or a second container on the same SQLite file.',
  },

  LEASE_LOST: {
    status: 503,
    description:
      'This replica no longer holds the lease of the sync work it was doing (B2.9): it was paused or cut off from PostgreSQL for longer than `SYNCLINE_LEASE_SECONDS`, or stopped renewing, and another replica took the work over. Nothing of that work was committed.',
    action:
      'Nothing to repair: the replica that took the lease over carries on, and this one rejoins as a standby. If it happens often, look for long pauses (CPU starvation, swapping, a stopped container) or an unreliable network between the replicas and PostgreSQL, or raise `SYNCLINE_LEASE_SECONDS`.',
  },

  // --- the Dataverse webhook receiver (B2.8) -------------------------------------------------------
  WEBHOOK_KEY_INVALID: {
    status: 401,
    description:
      'A call to the webhook receiver carried no key or a wrong one (query `code=`, as Dataverse sends a WebhookKey, or header `x-syncline-webhook-key`); nothing was queued.',
    action:
      'If Dataverse sends it, its service endpoint holds another key than `SYNCLINE_WEBHOOK_SECRET` (the secret was changed, or replicas differ): set the same secret on every replica and run `syncline webhooks install` again, which updates the key. Nothing else should call this URL; block other callers at the proxy. Changes still cross with the next pass meanwhile.',
  },
  WEBHOOKS_OFF: {
    status: 404,
    description:
      'The webhook receiver is off on this server: `SYNCLINE_WEBHOOK_SECRET` is not set, so no call can be authenticated.',
    action:
      'Set `SYNCLINE_WEBHOOK_SECRET` and `SYNCLINE_PUBLIC_URL` on every replica, restart, and run `syncline webhooks install`; or remove the registration with `syncline webhooks uninstall` if near-real-time sync is not wanted (passes carry every change anyway, B2.8).',
  },

  // --- flow actions and trigger campaigns (B7) ------------------------------------------------------
  FLOWS_UNAVAILABLE: {
    status: 503,
    description:
      'This process has no CRM connection for flow actions (it was started without one), so the action cannot run.',
    action:
      'Start Syncline with a CRM connection (`SYNCLINE_DYNAMICS_URL` and credentials, or demo mode) and retry the action.',
  },
  UNKNOWN_OWNER: {
    status: 400,
    description:
      'The `ownerId` is neither a CRM user (systemuser) nor a team, in the CRM mirror or in the CRM itself.',
    action:
      'Use the GUID of an active user or team from the CRM (`GET /api/v1/crm/systemuser` or `/api/v1/crm/team` lists those Syncline has mirrored).',
  },
  PERSON_NOT_SYNCED: {
    status: 409,
    description:
      'The action needs a person linked to a CRM lead or contact (e.g. Create Task, B7.6); run Sync Person to Microsoft first.',
    action:
      'Run the Sync Person to Microsoft action (or wait for the sync to link the person), then run this action again.',
  },
  CRM_RECORD_DELETED: {
    status: 409,
    description:
      'The person’s CRM record was deleted in the CRM (B3.6); the person is no longer synced and the flow action does not recreate it.',
    action:
      'If the person should be in the CRM again, create the lead or contact there (or restore it); otherwise leave the person unsynced.',
  },
  VALUE_NOT_ACCEPTED: {
    status: 422,
    description:
      'A person value cannot be written to its CRM attribute (an option label the CRM does not have, too long, wrong type); ' +
      '`details.attribute` names it. Nothing was created; fix the value and retry.',
    action:
      "Fix the person's value named in `details.attribute` (use an option label the CRM has, shorten the text) and run the action again.",
  },

  // --- store ---------------------------------------------------------------------------------------
  STORE_UNAVAILABLE: {
    status: 503,
    description: 'The marketing database (SQLite file or PostgreSQL server) cannot be opened or reached.',
    action:
      "Check `SYNCLINE_DB`: that the SQLite file's folder exists and is writable, or that the PostgreSQL server is up and the URL, user and password are right; then restart.",
  },
  MIGRATIONS_PENDING: {
    status: 503,
    description:
      'The database answers but lacks migrations this version of Syncline needs (`GET /ready` answers with it; `details.pending` names them), e.g. a PostgreSQL schema no `syncline start` or `syncline migrate` of this version has run on yet.',
    action:
      'Run `syncline migrate` with this version (or start one replica of it: `syncline start` migrates first, under an advisory lock). If it fails, the log names the migration and the database error (MIGRATION_FAILED).',
  },
  MIGRATION_FAILED: {
    status: 500,
    description: 'A database migration failed; nothing after it was applied.',
    action:
      'Read the log for the failing migration and its database error (permissions, disk space), fix the cause, and run `syncline migrate` again; earlier migrations stay applied.',
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof errorCodes;
