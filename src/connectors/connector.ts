import type { CrmRecord, CrmValue } from '../domain/crm-record.ts';
import type { AttributeAccess } from '../domain/field-catalog.ts';
import type { CrmError } from './crm-error.ts';

/**
 * The CRM port: everything the sync engine, `check` and the flow actions need from Dynamics 365 / Dataverse.
 * One implementation speaks the real Web API protocol (`dataverse/`); tests run it against the emulator.
 *
 * Vocabulary: entities and attributes are always **logical names** (`contact`, `emailaddress1`,
 * `parentcustomerid`); entity set names, `_x_value` lookup properties and `@odata.bind` navigation properties
 * stay inside the connector.
 *
 * Failures: every method throws only `CrmError` (see `crm-error.ts`) for expected failures, already classified
 * (transient after the retry budget, record, field, pass, expired-cursor). Transient failures (429, 5xx, network,
 * time-outs) are retried inside the connector with back-off honouring `Retry-After` (B6.2) before anything
 * surfaces. `write` never throws for record-level problems: it returns one outcome per operation instead.
 */
export interface CrmConnector {
  /**
   * `WhoAmI`: the sync user's ids (with several application users, the first one's). Also the cheapest "URL
   * reachable and credentials valid" probe (B8.3).
   */
  whoAmI(): Promise<WhoAmI>;

  /**
   * Every configured application user (interfaces.md §2), in order, each with its WhoAmI and name or the error
   * it got — `check` tries them all. Never throws for one identity's failure. Syncline's own writes are made as
   * any of these users: whatever recognises them by `modifiedby`/`createdby` or a webhook's `UserId` must
   * count every `whoAmI.userId` here as "ours", not only `whoAmI()`'s.
   */
  identities(): Promise<readonly CrmIdentity[]>;

  /** Entity metadata (cached until `refreshMetadata`). Throws pass-level `CrmError` when the entity does not exist. */
  getEntity(entity: string): Promise<EntityMetadata>;

  /** Every attribute of the entity with type details (MaxLength, option sets, lookup targets); cached. */
  listAttributes(entity: string): Promise<AttributeMetadata[]>;

  /**
   * The sync user's field-level-security privileges (`RetrievePrincipalAttributePrivileges`): one entry per
   * secured attribute the user has any profile permission on. With several application users, what all of them
   * may do (requests go as any of them). Cached.
   */
  getAttributePrivileges(): Promise<AttributePrivilege[]>;

  /**
   * Metadata joined with the sync user's privileges: what the user may read / create / update per attribute
   * (B5.1). A secured attribute without a privilege entry is neither readable nor writable.
   */
  describeEntity(entity: string): Promise<EntityDescription>;

  /** For `check` (B8.3): can the sync user read / create / update rows of the entity, is change tracking on. */
  probeEntityAccess(entity: string): Promise<EntityAccessProbe>;

  /** Forgets cached metadata (all entities when none is named) and privileges, e.g. when the selection is saved (B5.4). */
  refreshMetadata(entity?: string): void;

  /**
   * The cheap per-pass schema check (issue 16 item 8, B5.6): asks the CRM what changed in the entities' metadata
   * since the last check (`RetrieveMetadataChanges` with the last `ServerVersionStamp`: one request, an empty
   * answer when nothing changed) and forgets the cached metadata of every entity that changed — new or changed
   * attributes, options added to an option set, deleted attributes — so its next `describeEntity` reads it
   * again. The first check (or one after the CRM expired the stamp, `0x80044352`, or for another set of
   * entities) has nothing to compare with: it forgets all of them and reports them all, with `full: true`.
   */
  checkMetadataChanges(entities: readonly string[]): Promise<MetadataChanges>;

  /**
   * Whether `checkMetadataChanges(entities)` would compare with a stamp (true) or start over (false): starting
   * over forgets every cached description, so the engine takes such a check before it reads any.
   */
  metadataCheckIsIncremental(entities: readonly string[]): boolean;

  /**
   * Reads what changed since `cursor` (undefined → everything: the initial load / a reconcile, B2.5–B2.6).
   * Pages come in order; each carries a `cursor` the engine stores **after** it durably applied the page — the
   * next call with that cursor continues after it (B2.4). The last page has `final: true`; its cursor is the
   * starting point of the next pass. Memory is bounded: at most one page is read ahead.
   *
   * Entities with change tracking use delta links (upserts then deletes, B2.3). Entities without it fall back
   * to a `modifiedon` watermark re-read with an overlap and de-duplicated by version (no deletes are seen:
   * reconcile with `readAll` finds them). When `select` differs from the cursor's, the cursor is rebased onto the
   * new column list.
   *
   * Throws `CrmError` with class `expired-cursor` when Dataverse expired the token (`0x80044352`): the engine
   * reconciles by reading again without a cursor. Throws class `field` naming the attribute when an attribute
   * in `select` no longer exists (B5.6): the engine quarantines it and reads again without it.
   */
  readChanges(
    entity: string,
    select: readonly string[],
    cursor: string | undefined,
    options?: ReadOptions,
  ): AsyncIterable<ChangePage>;

  /**
   * `RetrieveTotalRecordCount`: each entity's row count, in one request. Dataverse answers from a snapshot taken
   * "within the last 24 hours", not the live table: a size for a progress bar (B2.6), never an exact figure.
   * Entities the answer leaves out are absent.
   */
  totalRecordCounts(entities: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, number>>;

  /**
   * How many changes `readChanges(entity, …, cursor)` would deliver now (B6.5): with a delta link, Dataverse's
   * count of changes since its token (deletes included); with a `modifiedon` watermark, the rows modified after
   * it (at most 5,000, then `atLeast`). Undefined without a cursor or while a read is under way (its next page
   * is a skiptoken, which cannot be counted).
   */
  countChanges(
    entity: string,
    cursor: string | undefined,
    signal?: AbortSignal,
  ): Promise<ChangeCount | undefined>;

  /**
   * Reads every row (backfill, reconcile of entities without change tracking, bulk loads), streamed page by
   * page. With `partitions > 1` the rows are split into disjoint `createdon` ranges read in parallel within
   * the connector's concurrency budget; pages of different partitions interleave. No ordering guarantee.
   */
  readAll(entity: string, select: readonly string[], options?: ReadAllOptions): AsyncIterable<RecordPage>;

  /** One record with its ETag, or undefined when it does not exist (e.g. re-read after a 412, B4.5). */
  retrieve(entity: string, id: string, select: readonly string[]): Promise<CrmRecord | undefined>;

  /**
   * The records among `ids` the CRM has, each with its ETag, in no particular order; ids it does not have
   * (deleted, not yet visible, not GUIDs) are simply absent. One GET per 100 ids
   * (`$filter=Microsoft.Dynamics.CRM.In(PropertyName='<key>',PropertyValues=[…])`), so a webhook batch costs
   * one request (B2.8).
   */
  retrieveMany(entity: string, ids: readonly string[], select: readonly string[]): Promise<CrmRecord[]>;

  /**
   * Which of `ids` still exist in the CRM (the reconcile sweep of B2.5 asks in chunks, so memory stays bounded by
   * the chunk, not the entity). Ids that are not GUIDs never exist.
   */
  existingIds(entity: string, ids: readonly string[]): Promise<Set<string>>;

  /**
   * Rows whose lookup `attribute` points at `id`, at most `top` (default 10), e.g. the contact a lead was
   * qualified into: `contacts?$filter=_originatingleadid_value eq <lead>` (B7.1: a qualify whose answer was lost
   * is found again instead of qualifying twice). Throws a `field` `CrmError` when `attribute` is not a lookup.
   */
  findByLookup(
    entity: string,
    attribute: string,
    id: string,
    select: readonly string[],
    top?: number,
  ): Promise<CrmRecord[]>;

  /**
   * Creates and updates, sent as `$batch` requests of at most `batchSize` operations, several in parallel.
   * Returns one outcome per operation, in order. Without `atomic` the operations are independent (a failure
   * affects only its own record, `continue-on-error`); with `atomic` they go in one changeset: all or none.
   * Updates carry `If-Match` (the given ETag, else `*` so an update never creates a record).
   *
   * Write path per entity (B4.5, `setWritePaths`): by default every operation goes through `$batch`, each update
   * with its own `If-Match` — the optimistic concurrency Microsoft documents. Only for an entity set to `bulk`
   * (after `probeWritePath` proved, on this organisation, that a stale `@odata.etag` is refused) do independent
   * updates go as `UpdateMultiple` requests of up to `batchSize`: one request per chunk, each target carrying its
   * ETag. Their `ok` outcomes carry **no ETag** (Dataverse answers 204 without one; the next read brings it).
   * When an UpdateMultiple fails for a record, the whole chunk is rolled back by Dataverse and re-sent as
   * `$batch` so every operation still gets its own outcome. Creates always go through `$batch`.
   *
   * Re-sending: creates with a client id and updates without an ETag are re-sent after a failure that may have
   * run (a lost answer, a 5xx); an ETag-guarded update is not — it is answered `transient` with `mayHaveLanded`
   * at once, so the caller re-reads the record and learns what landed before deciding again (issue 13 item 6).
   */
  write(operations: readonly WriteOperation[], options?: WriteOptions): Promise<WriteOutcome[]>;

  /**
   * `QualifyLead` (B3.4, B7.1 `syncAs: contact`). Returns the records the CRM created. Not idempotent: the caller
   * checks the lead's state first.
   */
  qualifyLead(leadId: string, options?: QualifyLeadOptions): Promise<QualifyLeadResult>;

  /** Sets `ownerid` to a systemuser or a team (B7.6). */
  assignOwner(entity: string, id: string, owner: OwnerReference): Promise<WriteOutcome>;

  /** Creates a task regarding a lead or contact (B7.6); pass `id` to make retries idempotent. */
  createTask(task: NewTask): Promise<WriteOutcome>;

  /**
   * B4.5: finds out, on the connected organisation, whether `UpdateMultiple` may carry the entity's updates:
   * (1) asks `sdkmessagefilters` whether the table has the message; (2) creates a scratch record named
   * `syncline-probe-<random>`, moves its ETag with a PATCH, sends an UpdateMultiple with the stale
   * `@odata.etag` and looks whether it is refused or applied; (3) deletes the scratch record, also when a step
   * failed. Costs about seven requests. Never throws: what cannot be told is `unknown`, with a readable reason.
   */
  probeWritePath(entity: string): Promise<WritePathProbe>;

  /**
   * Sets the write path of the named entities (others keep theirs; the default is `batch`). `bulk` is meant only
   * for entities whose probe `proved` that stale ETags are refused. A table that then answers that it has no
   * UpdateMultiple falls back to `batch` by itself. Takes effect for the next `write`.
   */
  setWritePaths(paths: Readonly<Record<string, WritePath>>): void;

  /**
   * B2.8: the webhook registrations (`serviceendpoints` of contract Webhook with this exact `url`, and the
   * `sdkmessageprocessingsteps` that invoke them). Needs read access to those tables.
   */
  findWebhooks(url: string): Promise<WebhookRegistration[]>;

  /**
   * B2.8, idempotent: one `serviceendpoint` (contract 8 Webhook, `url`, WebhookKey auth with `key`, JSON) —
   * created, or its key set again when it exists (the key is never readable, so it is always written) — and
   * one enabled asynchronous post-operation step per wanted entity and message: missing ones created, disabled
   * ones enabled, steps of this endpoint not wanted any more deleted. A message the organisation does not offer
   * for an entity (no `sdkmessagefilter`, e.g. Merge on a custom table) is reported `unavailable`, not an error.
   * Other endpoints with the same URL are removed, so there is never more than one.
   */
  installWebhook(spec: WebhookSpec): Promise<WebhookInstallReport>;

  /** B2.8: deletes every step and endpoint `findWebhooks(url)` finds; returns what was removed. */
  uninstallWebhook(url: string): Promise<WebhookRegistration[]>;

  /** Counters for status and metrics. */
  stats(): ConnectorStats;

  /** Closes keep-alive connections; in-flight calls fail. */
  close(): Promise<void>;
}

export interface WhoAmI {
  readonly userId: string;
  readonly businessUnitId: string;
  readonly organizationId: string;
}

/** One configured application user (`identities()`): never its token or secret. */
export interface CrmIdentity {
  /** 1-based position in the configured lists. */
  readonly number: number;
  readonly whoAmI?: WhoAmI;
  /** The systemuser's full name, when it could be read. */
  readonly name?: string;
  /** Why this identity cannot be used (classified like any connector failure). */
  readonly error?: CrmError;
}

/** Requests and throttling of one application user (`stats().identities`). */
export interface IdentityStats {
  /** 1-based position in the configured lists. */
  readonly number: number;
  /** The systemuser's full name and id, once `identities()` or the privileges read learned them. */
  readonly name: string | null;
  readonly userId: string | null;
  readonly requests: number;
  readonly retries: number;
  /** HTTP 429 answers this user got (Dataverse's limits are per user). */
  readonly throttled: number;
  readonly concurrencyLimit: number;
  readonly inFlight: number;
  /** While a Retry-After holds this user's requests: until when (ISO); else null. */
  readonly retryAfterUntil: string | null;
}

export interface EntityMetadata {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly entitySetName: string;
  readonly primaryIdAttribute: string;
  readonly primaryNameAttribute: string | undefined;
  readonly changeTrackingEnabled: boolean;
  readonly optimisticConcurrencyEnabled: boolean;
}

/** Attribute metadata as Dataverse describes it, in the domain's `CrmAttribute` vocabulary plus raw details. */
export interface AttributeMetadata {
  readonly logicalName: string;
  readonly schemaName: string;
  /** `AttributeMetadata.MetadataId`: the key of field-level-security privileges. */
  readonly metadataId: string;
  /** Dataverse's `AttributeType` (`String`, `Picklist`, `Lookup`, `Virtual`…). */
  readonly attributeType: string;
  /** Dataverse's `AttributeTypeName.Value` (`StringType`, `MultiSelectPicklistType`…). */
  readonly attributeTypeName: string | undefined;
  readonly isValidForRead: boolean;
  readonly isValidForCreate: boolean;
  readonly isValidForUpdate: boolean;
  readonly isSecured: boolean;
  readonly isCustomAttribute: boolean;
  readonly requiredLevel: string | undefined;
  /** Set for shadow attributes (e.g. `owneridname` is `AttributeOf: ownerid`); the engine skips them. */
  readonly attributeOf: string | undefined;
  readonly maxLength?: number;
  readonly options?: readonly { readonly value: number; readonly label: string }[];
  /** Lookup / Customer / Owner: the entities it can point at. */
  readonly targets?: readonly string[];
  readonly dateOnly?: boolean;
}

export interface AttributePrivilege {
  readonly attributeId: string;
  readonly canRead: boolean;
  readonly canCreate: boolean;
  readonly canUpdate: boolean;
}

/** `AttributeAccess` is the domain's view (kind, options, read/create/update); the rest is raw metadata. */
export type DescribedAttribute = AttributeAccess & { readonly metadata: AttributeMetadata };

/** What `checkMetadataChanges` found: the entities whose metadata must be read again. */
export interface MetadataChanges {
  readonly changed: readonly string[];
  /** No earlier stamp to compare with (first check, expired stamp): every entity counts as changed. */
  readonly full: boolean;
}

export interface EntityDescription {
  readonly entity: EntityMetadata;
  readonly attributes: readonly DescribedAttribute[];
}

export interface EntityAccessProbe {
  readonly entity: string;
  /** A query for one row succeeded. */
  readonly read: boolean;
  /** From the user's role privileges; `unknown` when the CRM does not answer `RetrieveUserPrivileges`. */
  readonly create: boolean | 'unknown';
  readonly update: boolean | 'unknown';
  readonly changeTracking: boolean;
  /** Readable explanation when something is missing. */
  readonly problems: readonly string[];
}

export interface ChangePage {
  readonly upserts: readonly CrmRecord[];
  /** Ids of rows deleted in the CRM (change tracking only). */
  readonly deletes: readonly string[];
  /** Opaque; store it after applying this page. */
  readonly cursor: string;
  readonly final: boolean;
}

/** `countChanges`: what the next read of an entity would deliver. */
export interface ChangeCount {
  readonly count: number;
  /** The CRM stopped counting at `count` (a `$count` caps at 5,000): at least that many. */
  readonly atLeast: boolean;
  /** `delta-token`: changes since the stored delta link; `modifiedon`: rows modified after the watermark. */
  readonly basis: 'delta-token' | 'modifiedon';
}

export interface ReadOptions {
  /** Rows per page (`odata.maxpagesize`, ≤ 5,000). */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

export interface ReadAllOptions extends ReadOptions {
  /** Parallel `createdon` partitions (default 1). */
  readonly partitions?: number;
}

export interface RecordPage {
  readonly records: readonly CrmRecord[];
  readonly partition: number;
}

export interface CreateOperation {
  readonly kind: 'create';
  readonly entity: string;
  /** Client-chosen primary key: a retried create then answers `already-exists` instead of duplicating (B7.2). */
  readonly id?: string;
  readonly values: Readonly<Record<string, CrmValue>>;
}

export interface UpdateOperation {
  readonly kind: 'update';
  readonly entity: string;
  readonly id: string;
  readonly values: Readonly<Record<string, CrmValue>>;
  /** `If-Match` (B4.5); `*` when absent. */
  readonly etag?: string;
}

export type WriteOperation = CreateOperation | UpdateOperation;

export interface WriteOptions {
  readonly atomic?: boolean;
  /** Operations per `$batch` (default 50, max 1,000); ignored when atomic. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

export type WriteOutcome =
  | { readonly status: 'ok'; readonly id: string; readonly etag: string | undefined }
  /** 412: the record changed since its ETag was read (B4.5): re-read and merge again. */
  | { readonly status: 'stale-etag' }
  /** Create with a client id that exists already (a retried create, B7.2). */
  | { readonly status: 'already-exists'; readonly id: string }
  /** The CRM refused this record (B6.1): validation, plug-in, length, option, privilege, not found… */
  | {
      readonly status: 'rejected';
      readonly reason: string;
      readonly crmCode: string | undefined;
      readonly message: string;
      readonly httpStatus: number | undefined;
    }
  /** An attribute the CRM does not know (B5.6): quarantine it, re-send the rest. */
  | {
      readonly status: 'field-error';
      readonly field: string;
      readonly crmCode: string | undefined;
      readonly message: string;
    }
  /**
   * Still failing after the retry budget (429, 5xx, network): leave it pending for the next pass (B6.2).
   * `mayHaveLanded`: an attempt may have been executed although its answer was lost (a reset connection, a
   * time-out, a 5xx — not a 429 or a connection never made): the CRM may hold the write, so read the record
   * back before deciding again (issue 13 item 6). False only when no attempt can have run.
   */
  | {
      readonly status: 'transient';
      readonly reason: string;
      readonly message: string;
      readonly mayHaveLanded: boolean;
    }
  /** Atomic write: another operation of the changeset failed, so this one was rolled back. */
  | { readonly status: 'rolled-back' };

export interface QualifyLeadOptions {
  readonly createContact?: boolean;
  readonly createAccount?: boolean;
  readonly createOpportunity?: boolean;
  /** The lead's new statuscode (default 3 = Qualified). */
  readonly status?: number;
}

export interface QualifyLeadResult {
  readonly created: readonly { readonly entity: string; readonly id: string }[];
}

export interface OwnerReference {
  readonly entity: 'systemuser' | 'team';
  readonly id: string;
}

export interface NewTask {
  readonly id?: string;
  readonly subject: string;
  readonly description?: string;
  /** ISO date-time. */
  readonly dueDate?: string;
  readonly regarding: { readonly entity: 'lead' | 'contact'; readonly id: string };
}

export interface ConnectorStats {
  /** Totals over every application user. */
  readonly requests: number;
  readonly retries: number;
  readonly throttled: number;
  /** The sum of every user's limit: how many requests may run at once in all. */
  readonly concurrencyLimit: number;
  readonly inFlight: number;
  /** Each application user's share, in configured order. */
  readonly identities?: readonly IdentityStats[];
  /**
   * The write path in use for every entity set through `setWritePaths` (after any fallback: a table that refused
   * UpdateMultiple shows `batch`). Entities not listed write through `batch`.
   */
  readonly writePaths: Readonly<Record<string, WritePath>>;
}

/**
 * How updates of an entity reach Dataverse (B4.5): `batch` — `$batch` with a per-request `If-Match`, the
 * documented optimistic concurrency (the default); `bulk` — `UpdateMultiple` with a per-target `@odata.etag`,
 * only once the probe proved the organisation refuses a stale one.
 */
export type WritePath = 'bulk' | 'batch';

/** What `probeWritePath` found for one entity. */
export interface WritePathProbe {
  readonly entity: string;
  /** `sdkmessagefilters` lists UpdateMultiple for the table (or the message itself answered that it has none). */
  readonly bulkAvailable: boolean | 'unknown';
  /**
   * `true`: an UpdateMultiple target with a stale `@odata.etag` was refused (412) and the record kept the newer
   * value. `false`: it was applied — bulk writes would overwrite CRM edits. `unknown`: the probe could not tell.
   */
  readonly bulkEtagsHonoured: boolean | 'unknown';
  /** Only `true` allows the `bulk` write path. */
  readonly proved: boolean;
  /** Readable explanation (for `syncline check`, logs and the status). */
  readonly reason: string;
  /** Id of a scratch record the probe could not delete (set only then): remove it by hand. */
  readonly leftoverRecordId?: string;
}

/** A webhook step: an SDK message of one entity that invokes the endpoint. */
export interface WebhookStepKey {
  /** Logical name, e.g. `contact`. */
  readonly entity: string;
  /** The SDK message: `Create`, `Update`, `Delete`, `Merge`. */
  readonly message: string;
}

/** What `installWebhook` registers (B2.8). */
export interface WebhookSpec {
  /** The receiver's URL as Dataverse calls it (the key is added by Dataverse as `?code=`). */
  readonly url: string;
  /** The WebhookKey: Dataverse's `authvalue` (write-only; at most 2,048 characters). */
  readonly key: string;
  /** The endpoint's and steps' display name. */
  readonly name: string;
  /** One asynchronous post-operation step per entry. */
  readonly steps: readonly WebhookStepKey[];
}

export interface WebhookStep extends WebhookStepKey {
  readonly id: string;
  readonly enabled: boolean;
  /** 40 = post-operation. */
  readonly stage: number;
  /** 1 = asynchronous, 0 = synchronous. */
  readonly mode: number;
}

export interface WebhookRegistration {
  readonly endpointId: string;
  readonly name: string;
  readonly url: string;
  /** WebhookKey = 4 (the auth type `installWebhook` sets). */
  readonly authType: number;
  readonly steps: readonly WebhookStep[];
}

export interface WebhookInstallReport {
  readonly endpointId: string;
  /** The endpoint was created, or existed and got the key again. */
  readonly endpoint: 'created' | 'updated';
  readonly created: readonly WebhookStepKey[];
  /** Disabled steps that were enabled again. */
  readonly enabled: readonly WebhookStepKey[];
  readonly unchanged: readonly WebhookStepKey[];
  /** Steps of this endpoint that were not wanted any more (and duplicate endpoints' steps). */
  readonly removed: readonly WebhookStepKey[];
  /** Wanted steps the organisation has no message filter for. */
  readonly unavailable: readonly WebhookStepKey[];
}
