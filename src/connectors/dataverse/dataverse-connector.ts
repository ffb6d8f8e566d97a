import type { Dispatcher } from 'undici';
import type { CrmAuthConfig } from '../../config/config.ts';
import { attributeKind } from '../../domain/crm-attribute.ts';
import type { Logger } from '../../logging/logger.ts';
import type {
  AttributeMetadata,
  AttributePrivilege,
  ChangePage,
  ConnectorStats,
  CrmConnector,
  CrmIdentity,
  DescribedAttribute,
  EntityAccessProbe,
  EntityDescription,
  EntityMetadata,
  MetadataChanges,
  NewTask,
  OwnerReference,
  QualifyLeadOptions,
  QualifyLeadResult,
  ReadAllOptions,
  ReadOptions,
  ChangeCount,
  RecordPage,
  WhoAmI,
  WriteOperation,
  WriteOptions,
  WriteOutcome,
  WebhookInstallReport,
  WebhookRegistration,
  WebhookSpec,
  WritePath,
  WritePathProbe,
} from '../connector.ts';
import { CrmError, isCrmError } from '../crm-error.ts';
import { decodeCursor } from './change-cursor.ts';
import { readChangePages } from './change-reader.ts';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';
import { createTokenProvider, type TokenProvider } from './dataverse-auth.ts';
import { DataverseHttp } from './dataverse-http.ts';
import { readAllPages } from './full-reader.ts';
import { fetchMetadataChanges } from './metadata-changes.ts';
import {
  assertLogicalName,
  commonAttributePrivileges,
  fetchAttributePrivileges,
  fetchAttributes,
  fetchEntity,
  fetchUserName,
  fetchUserPrivilegeNames,
  fetchWhoAmI,
  getJson,
} from './metadata-reader.ts';
import {
  isLookup,
  lookupTargets,
  readPreferences,
  toRecord,
  wireColumns,
  type EntityShape,
} from './record-mapper.ts';
import { writeOperations } from './record-writer.ts';
import { countChangesAfter, fetchTotalRecordCounts } from './record-counter.ts';
import type { RetryPolicyOptions } from './retry-policy.ts';
import { probeWritePath } from './write-path-probe.ts';
import { findWebhooks, installWebhook, uninstallWebhook } from './webhook-registrar.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

export interface DataverseConnectorOptions {
  /** The organisation URL (`https://contoso.crm.dynamics.com`, or the emulator's). */
  readonly url: string;
  /**
   * One application user, or several (interfaces.md §2): requests are spread over them, each with its own
   * token cache, concurrency limit, Retry-After pause and counters, since Dataverse's limits are per user.
   */
  readonly auth: CrmAuthConfig | readonly CrmAuthConfig[];
  readonly logger: Logger;
  /** Rows per page (default 5,000, Dataverse's maximum). */
  readonly pageSize?: number;
  /** Watermark overlap for entities without change tracking (default 120 s). */
  readonly watermarkOverlapMs?: number;
  /** Concurrency per application user before the server's `x-ms-dop-hint` is known (default 4). */
  readonly initialConcurrency?: number;
  readonly retry?: RetryPolicyOptions;
  readonly timeoutMs?: number;
  /** Custom undici dispatcher (tests: a private CA for the emulator's HTTPS token endpoint). */
  readonly dispatcher?: Dispatcher;
  /** Replaces the token sources, one per application user (tests). */
  readonly tokens?: TokenProvider | readonly TokenProvider[];
  /**
   * Initial write paths per entity (default: none, so every entity writes through `$batch` with per-request
   * `If-Match`); `setWritePaths` changes them later. Set `bulk` only for an entity whose `probeWritePath` proved
   * that this organisation refuses a stale ETag in UpdateMultiple (B4.5) — and leave it off for an organisation
   * whose custom plug-ins do not cope with bulk messages (written for one `Target` per execution, or failing a
   * whole request where a single update would fail alone).
   */
  readonly writePaths?: Readonly<Record<string, WritePath>>;
}

/** The real-protocol Dataverse Web API connector (see `../connector.ts` for the contract). */
export class DataverseConnector implements CrmConnector {
  readonly #http: DataverseHttp;
  readonly #log: Logger;
  readonly #pageSize: number;
  readonly #overlapMs: number;
  readonly #retry: RetryPolicyOptions | undefined;
  /** Entities whose updates go as UpdateMultiple (B4.5: only once the probe proved it). */
  readonly #bulkEntities = new Set<string>();
  /** Entities named by `setWritePaths`, reported in `stats()`. */
  readonly #configuredPaths = new Set<string>();
  /** Tables that answered that they have no UpdateMultiple (kept for the connector's life). */
  readonly #bulkUnsupported = new Set<string>();
  readonly #entities = new Map<string, Promise<EntityMetadata>>();
  readonly #attributes = new Map<string, Promise<AttributeMetadata[]>>();
  #privileges: Promise<AttributePrivilege[]> | undefined;
  /** The last `ServerVersionStamp` and the entity list it was asked for (`checkMetadataChanges`). */
  #metadataStamp: { readonly entities: string; readonly stamp: string } | undefined;
  /** Per application user: its WhoAmI (a failure is not kept) and, once read, its name. */
  readonly #whoAmIs: (Promise<WhoAmI> | undefined)[];
  readonly #known: { userId?: string; name?: string }[];

  constructor(options: DataverseConnectorOptions) {
    this.#log = options.logger.child({ component: 'dataverse' });
    this.#pageSize = Math.min(5000, Math.max(1, options.pageSize ?? 5000));
    this.#overlapMs = options.watermarkOverlapMs ?? 120_000;
    this.#retry = options.retry;
    this.setWritePaths(options.writePaths ?? {});
    const auths: readonly CrmAuthConfig[] = Array.isArray(options.auth) ? options.auth : [options.auth];
    const tokens: readonly TokenProvider[] =
      options.tokens === undefined
        ? auths.map((auth, i) =>
            createTokenProvider({
              auth,
              resource: options.url,
              logger: this.#log.child({ identity: i + 1 }),
              dispatcher: options.dispatcher,
              label: auths.length > 1 ? `application user #${i + 1}` : '',
            }),
          )
        : Array.isArray(options.tokens)
          ? options.tokens
          : [options.tokens];
    this.#whoAmIs = tokens.map(() => undefined);
    this.#known = tokens.map(() => ({}));
    this.#http = new DataverseHttp({
      url: options.url,
      tokens,
      logger: this.#log,
      limiter: new ConcurrencyLimiter({ initial: options.initialConcurrency ?? 4, lanes: tokens.length }),
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      dispatcher: options.dispatcher,
    });
  }

  whoAmI(): Promise<WhoAmI> {
    return this.#whoAmIOf(0);
  }

  async identities(): Promise<readonly CrmIdentity[]> {
    return Promise.all(
      this.#whoAmIs.map(async (_, i): Promise<CrmIdentity> => {
        try {
          const whoAmI = await this.#whoAmIOf(i);
          const known = this.#known[i];
          known.name ??= await fetchUserName(this.#http, whoAmI.userId, i);
          return { number: i + 1, whoAmI, ...(known.name === undefined ? {} : { name: known.name }) };
        } catch (error) {
          if (!isCrmError(error)) throw error;
          return { number: i + 1, error };
        }
      }),
    );
  }

  /** One application user's WhoAmI, asked as that user (pinned), kept once known. */
  #whoAmIOf(identity: number): Promise<WhoAmI> {
    let promise = this.#whoAmIs[identity];
    if (promise === undefined) {
      promise = fetchWhoAmI(this.#http, identity).then(
        (me) => {
          this.#known[identity].userId = me.userId;
          return me;
        },
        (error: unknown) => {
          this.#whoAmIs[identity] = undefined;
          throw error;
        },
      );
      this.#whoAmIs[identity] = promise;
    }
    return promise;
  }

  async getEntity(entity: string): Promise<EntityMetadata> {
    return cached(this.#entities, assertLogicalName(entity), (name) => fetchEntity(this.#http, name));
  }

  async listAttributes(entity: string): Promise<AttributeMetadata[]> {
    return cached(this.#attributes, assertLogicalName(entity), (name) => fetchAttributes(this.#http, name));
  }

  getAttributePrivileges(): Promise<AttributePrivilege[]> {
    // Each application user's own privileges, asked as that user; the sync may use what all of them have.
    this.#privileges ??= Promise.all(
      this.#whoAmIs.map(async (_, i) =>
        fetchAttributePrivileges(this.#http, (await this.#whoAmIOf(i)).userId, i),
      ),
    )
      .then(commonAttributePrivileges)
      .catch((error: unknown) => {
        this.#privileges = undefined;
        throw error;
      });
    return this.#privileges;
  }

  async describeEntity(entity: string): Promise<EntityDescription> {
    const [metadata, attributes, privileges] = await Promise.all([
      this.getEntity(entity),
      this.listAttributes(entity),
      this.getAttributePrivileges(),
    ]);
    const byId = new Map(privileges.map((privilege) => [privilege.attributeId, privilege]));
    return {
      entity: metadata,
      attributes: attributes.map((attribute): DescribedAttribute => {
        const privilege = byId.get(attribute.metadataId.toLowerCase());
        const allowed = (flag: 'canRead' | 'canCreate' | 'canUpdate') =>
          !attribute.isSecured || privilege?.[flag] === true;
        return {
          logicalName: attribute.logicalName,
          kind: attributeKind(attribute.attributeType, attribute.attributeTypeName),
          ...(attribute.dateOnly ? { dateOnly: true } : {}),
          ...(attribute.options ? { options: attribute.options } : {}),
          ...(attribute.maxLength !== undefined ? { maxLength: attribute.maxLength } : {}),
          isSecured: attribute.isSecured,
          read: attribute.isValidForRead && allowed('canRead'),
          create: attribute.isValidForCreate && allowed('canCreate'),
          update: attribute.isValidForUpdate && allowed('canUpdate'),
          metadata: attribute,
        };
      }),
    };
  }

  async probeEntityAccess(entity: string): Promise<EntityAccessProbe> {
    const metadata = await this.getEntity(entity);
    // Every application user is probed as itself: requests go as any of them, so each needs the access.
    const probes = await Promise.all(this.#whoAmIs.map((_, i) => this.#probeAccessAs(i, metadata, entity)));
    const problems = probes.flatMap((probe) => probe.problems);
    const all = (flag: 'create' | 'update'): boolean | 'unknown' =>
      probes.some((probe) => probe[flag] === false)
        ? false
        : probes.every((probe) => probe[flag] === true) || 'unknown';
    const read = probes.every((probe) => probe.read);
    const create = all('create');
    const update = all('update');
    if (!metadata.changeTrackingEnabled) {
      problems.push(
        `change tracking is off for ${entity}: changes are found by modifiedon, deletes only by reconcile`,
      );
    }
    return { entity, read, create, update, changeTracking: metadata.changeTrackingEnabled, problems };
  }

  /** One application user's access to a table (`probeEntityAccess`). */
  async #probeAccessAs(
    identity: number,
    metadata: EntityMetadata,
    entity: string,
  ): Promise<{
    read: boolean;
    create: boolean | 'unknown';
    update: boolean | 'unknown';
    problems: string[];
  }> {
    const problems: string[] = [];
    const who = this.#http.identities > 1 ? `application user #${identity + 1}` : 'the sync user';
    let read = false;
    try {
      const path = `${metadata.entitySetName}?$select=${metadata.primaryIdAttribute}&$top=1`;
      await getJson(this.#http, path, undefined, identity);
      read = true;
    } catch (error) {
      const refused =
        isCrmError(error) &&
        (error.errorClass === 'record' || error.errorClass === 'field' || error.reason === 'protocol');
      if (!refused) throw error;
      problems.push(`${who} cannot read ${entity}: ${error.message}`);
    }
    const me = await this.#whoAmIOf(identity);
    const names = await fetchUserPrivilegeNames(this.#http, me.userId, identity);
    const has = (verb: string) =>
      names === undefined
        ? ('unknown' as const)
        : names.has(`prv${verb}${metadata.schemaName}`.toLowerCase());
    const create = has('Create');
    const update = has('Write');
    if (create === false) problems.push(`${who} lacks prvCreate${metadata.schemaName}`);
    if (update === false) problems.push(`${who} lacks prvWrite${metadata.schemaName}`);
    return { read, create, update, problems };
  }

  refreshMetadata(entity?: string): void {
    if (entity === undefined) {
      this.#entities.clear();
      this.#attributes.clear();
    } else {
      this.#entities.delete(entity);
      this.#attributes.delete(entity);
    }
    this.#privileges = undefined;
  }

  metadataCheckIsIncremental(entities: readonly string[]): boolean {
    return this.#metadataStamp?.entities === canonicalEntities(entities).join(',');
  }

  async checkMetadataChanges(entities: readonly string[]): Promise<MetadataChanges> {
    const names = canonicalEntities(entities);
    const key = names.join(',');
    const last = this.#metadataStamp;
    if (last !== undefined && last.entities === key) {
      try {
        const answer = await fetchMetadataChanges(this.#http, names, last.stamp);
        const changed = new Set(answer.entities.filter((name) => names.includes(name)));
        if (answer.deletedAttributeIds.length > 0) {
          const deleted = new Set(answer.deletedAttributeIds);
          for (const name of names) {
            const cached = await this.#attributes.get(name)?.catch(() => undefined);
            if (cached?.some((attribute) => deleted.has(attribute.metadataId.toLowerCase())))
              changed.add(name);
          }
        }
        for (const name of changed) this.refreshMetadata(name);
        this.#metadataStamp = { entities: key, stamp: answer.stamp };
        return { changed: [...changed], full: false };
      } catch (error) {
        if (!isCrmError(error) || error.errorClass !== 'expired-cursor') throw error;
        this.#log.info('the CRM expired the metadata version stamp; reading all metadata again');
      }
    }
    // Nothing to compare with: start from a fresh stamp and forget everything cached before it.
    let stamp: string | undefined;
    try {
      stamp = (await fetchMetadataChanges(this.#http, names, undefined)).stamp;
    } catch (error) {
      // An organisation that refuses the function still syncs fresh metadata, the expensive way: re-read each time.
      const refused =
        isCrmError(error) &&
        (error.errorClass === 'record' || error.errorClass === 'field' || error.reason === 'protocol');
      if (!refused) throw error;
      this.#log.warn(
        { err: { message: error.message } },
        'RetrieveMetadataChanges failed; re-reading all metadata',
      );
    }
    for (const name of names) this.refreshMetadata(name);
    this.#metadataStamp = stamp === undefined ? undefined : { entities: key, stamp };
    return { changed: names, full: true };
  }

  async *readChanges(
    entity: string,
    select: readonly string[],
    cursor: string | undefined,
    options: ReadOptions = {},
  ): AsyncGenerator<ChangePage> {
    const shape = await this.#shape(entity);
    yield* readChangePages(
      {
        http: this.#http,
        shape,
        pageSize: options.pageSize ?? this.#pageSize,
        overlapMs: this.#overlapMs,
        signal: options.signal,
      },
      select,
      cursor === undefined ? undefined : decodeCursor(cursor),
    );
  }

  totalRecordCounts(entities: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, number>> {
    return fetchTotalRecordCounts(this.#http, entities, signal);
  }

  async countChanges(
    entity: string,
    cursor: string | undefined,
    signal?: AbortSignal,
  ): Promise<ChangeCount | undefined> {
    if (cursor === undefined) return undefined;
    return countChangesAfter(this.#http, await this.#shape(entity), decodeCursor(cursor), signal);
  }

  async *readAll(
    entity: string,
    select: readonly string[],
    options: ReadAllOptions = {},
  ): AsyncGenerator<RecordPage> {
    const shape = await this.#shape(entity);
    yield* readAllPages(
      {
        http: this.#http,
        shape,
        pageSize: options.pageSize ?? this.#pageSize,
        partitions: Math.max(1, Math.floor(options.partitions ?? 1)),
        signal: options.signal,
      },
      select,
    );
  }

  async retrieve(entity: string, id: string, select: readonly string[]): Promise<CrmRecord | undefined> {
    const shape = await this.#shape(entity);
    try {
      const response = await this.#http.send({
        method: 'GET',
        path: `${shape.entity.entitySetName}(${guid(id)})?$select=${wireColumns(shape, select).join(',')}`,
        headers: { prefer: readPreferences },
      });
      return toRecord(shape, JSON.parse(response.text) as Record<string, unknown>);
    } catch (error) {
      if (isCrmError(error) && error.reason === 'not-found') return undefined;
      throw error;
    }
  }

  async retrieveMany(
    entity: string,
    ids: readonly string[],
    select: readonly string[],
  ): Promise<CrmRecord[]> {
    const shape = await this.#shape(entity);
    const rows = await this.#rowsById(shape, ids, wireColumns(shape, select), readPreferences);
    return rows.map((row) => toRecord(shape, row));
  }

  async existingIds(entity: string, ids: readonly string[]): Promise<Set<string>> {
    const shape = await this.#shape(entity);
    const key = shape.entity.primaryIdAttribute;
    const existing = new Set<string>();
    for (const row of await this.#rowsById(shape, ids, [key])) existing.add(String(row[key]).toLowerCase());
    return new Set(ids.filter((id) => existing.has(id.toLowerCase())));
  }

  /** The rows among `ids` (non-GUIDs skipped), one GET per 100 ids with `Microsoft.Dynamics.CRM.In`. */
  async #rowsById(
    shape: EntityShape,
    ids: readonly string[],
    columns: readonly string[],
    prefer?: string,
  ): Promise<Record<string, unknown>[]> {
    const key = shape.entity.primaryIdAttribute;
    const valid = [...new Set(ids.filter((id) => guidPattern.test(id)).map((id) => id.toLowerCase()))];
    const rows: Record<string, unknown>[] = [];
    // 100 GUIDs keep the URL far below Dataverse's 32,768-character GET limit, and a page holds them all.
    for (let start = 0; start < valid.length; start += 100) {
      const values = valid.slice(start, start + 100).map((id) => `"${id}"`);
      const filter = `Microsoft.Dynamics.CRM.In(PropertyName='${key}',PropertyValues=[${values.join(',')}])`;
      const response = await this.#http.send({
        method: 'GET',
        path: `${shape.entity.entitySetName}?$select=${columns.join(',')}&$filter=${encodeURIComponent(filter)}`,
        ...(prefer === undefined ? {} : { headers: { prefer } }),
      });
      const body = JSON.parse(response.text) as { value?: Record<string, unknown>[] };
      rows.push(...(body.value ?? []));
    }
    return rows;
  }

  async findByLookup(
    entity: string,
    attribute: string,
    id: string,
    select: readonly string[],
    top = 10,
  ): Promise<CrmRecord[]> {
    const shape = await this.#shape(entity);
    if (!isLookup(shape.attributes.get(attribute))) {
      throw new CrmError(
        { errorClass: 'field', reason: 'unknown-property', field: attribute },
        `${entity}.${attribute} is not a lookup attribute.`,
      );
    }
    const response = await this.#http.send({
      method: 'GET',
      path:
        `${shape.entity.entitySetName}?$select=${wireColumns(shape, select).join(',')}` +
        `&$filter=_${attribute}_value%20eq%20${guid(id)}&$top=${Math.max(1, Math.floor(top))}`,
      headers: { prefer: readPreferences },
    });
    const body = JSON.parse(response.text) as { value?: Record<string, unknown>[] };
    return (body.value ?? []).map((row) => toRecord(shape, row));
  }

  async write(operations: readonly WriteOperation[], options: WriteOptions = {}): Promise<WriteOutcome[]> {
    const written = new Set<string>();
    const targets = new Set<string>();
    for (const operation of operations) {
      written.add(operation.entity);
      for (const target of lookupTargets(operation.values)) targets.add(target);
      if (operation.kind === 'update' || operation.id !== undefined) guid(operation.id!);
    }
    const shapes = new Map<string, EntityShape>();
    const entitySets = new Map<string, string>();
    await Promise.all([
      ...[...written].map(async (entity) => shapes.set(entity, await this.#shape(entity))),
      ...[...targets].map(async (entity) =>
        entitySets.set(entity, (await this.getEntity(entity)).entitySetName),
      ),
    ]);
    return writeOperations(
      {
        http: this.#http,
        shapes,
        entitySets,
        retry: this.#retry,
        bulkEntities: this.#bulkEntities,
        bulkUnsupported: this.#bulkUnsupported,
      },
      operations,
      options,
    );
  }

  async qualifyLead(leadId: string, options: QualifyLeadOptions = {}): Promise<QualifyLeadResult> {
    const response = await this.#http.send({
      method: 'POST',
      path: `leads(${guid(leadId)})/Microsoft.Dynamics.CRM.QualifyLead`,
      body: {
        CreateAccount: options.createAccount ?? false,
        CreateContact: options.createContact ?? true,
        CreateOpportunity: options.createOpportunity ?? false,
        Status: options.status ?? 3,
      },
      idempotent: false,
    });
    const body = JSON.parse(response.text || '{}') as { value?: Record<string, unknown>[] };
    const created = (body.value ?? []).flatMap((row) => {
      const type = /Microsoft\.Dynamics\.CRM\.(\w+)$/.exec(String(row['@odata.type'] ?? ''));
      const entity = type?.[1];
      const id = entity === undefined ? undefined : row[`${entity}id`];
      return entity !== undefined && typeof id === 'string' ? [{ entity, id }] : [];
    });
    return { created };
  }

  async assignOwner(entity: string, id: string, owner: OwnerReference): Promise<WriteOutcome> {
    const [outcome] = await this.write([
      { kind: 'update', entity, id, values: { ownerid: { id: owner.id, entity: owner.entity } } },
    ]);
    return outcome;
  }

  async createTask(task: NewTask): Promise<WriteOutcome> {
    const [outcome] = await this.write([
      {
        kind: 'create',
        entity: 'task',
        ...(task.id === undefined ? {} : { id: task.id }),
        values: {
          subject: task.subject,
          ...(task.description === undefined ? {} : { description: task.description }),
          ...(task.dueDate === undefined ? {} : { scheduledend: task.dueDate }),
          regardingobjectid: {
            id: task.regarding.id,
            entity: task.regarding.entity,
            navigationProperty: `regardingobjectid_${task.regarding.entity}_task`,
          },
        },
      },
    ]);
    return outcome;
  }

  findWebhooks(url: string): Promise<WebhookRegistration[]> {
    return findWebhooks(this.#http, url);
  }

  installWebhook(spec: WebhookSpec): Promise<WebhookInstallReport> {
    return installWebhook(this.#http, spec);
  }

  uninstallWebhook(url: string): Promise<WebhookRegistration[]> {
    return uninstallWebhook(this.#http, url);
  }

  async probeWritePath(entity: string): Promise<WritePathProbe> {
    let shape: EntityShape;
    try {
      shape = await this.#shape(entity);
    } catch (error) {
      const reason = `the metadata of ${entity} could not be read: ${error instanceof Error ? error.message : String(error)}`;
      return { entity, bulkAvailable: 'unknown', bulkEtagsHonoured: 'unknown', proved: false, reason };
    }
    const probe = await probeWritePath(this.#http, shape);
    this.#log.info({ probe }, `write-path probe for ${entity}: ${probe.reason}`);
    return probe;
  }

  setWritePaths(paths: Readonly<Record<string, WritePath>>): void {
    for (const [entity, path] of Object.entries(paths)) {
      this.#configuredPaths.add(entity);
      if (path === 'bulk') this.#bulkEntities.add(entity);
      else this.#bulkEntities.delete(entity);
    }
  }

  stats(): ConnectorStats {
    const writePaths: Record<string, WritePath> = {};
    for (const entity of this.#configuredPaths) {
      writePaths[entity] =
        this.#bulkEntities.has(entity) && !this.#bulkUnsupported.has(entity) ? 'bulk' : 'batch';
    }
    const http = this.#http.stats();
    const identities = http.identities.map(({ index, ...counters }) => ({
      number: index + 1,
      name: this.#known[index].name ?? null,
      userId: this.#known[index].userId ?? null,
      ...counters,
    }));
    return { ...http, identities, writePaths };
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  async #shape(entity: string): Promise<EntityShape> {
    const [metadata, attributes] = await Promise.all([this.getEntity(entity), this.listAttributes(entity)]);
    return {
      entity: metadata,
      attributes: new Map(attributes.map((attribute) => [attribute.logicalName, attribute])),
    };
  }
}

/** Concurrent callers share one fetch; a failure is not cached. */
function cached<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  load: (key: string) => Promise<T>,
): Promise<T> {
  let promise = cache.get(key);
  if (!promise) {
    promise = load(key).catch((error: unknown) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, promise);
  }
  return promise;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function guid(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new CrmError(
      { errorClass: 'record', reason: 'invalid-request' },
      `"${id}" is not a Dataverse id (GUID).`,
    );
  }
  return id;
}

/** An entity list in the form a metadata version stamp is kept for: checked names, each once, sorted. */
function canonicalEntities(entities: readonly string[]): string[] {
  return [...new Set(entities.map(assertLogicalName))].sort();
}
