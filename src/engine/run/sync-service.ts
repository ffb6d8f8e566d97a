import { isPersonEntity } from '../../domain/sync-entities.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { BackfillRunner } from '../fields/backfill-runner.ts';
import { pushRecordNow } from '../push/push-now.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import { saveFieldSelection } from '../fields/field-selection.ts';
import { PassContext } from './pass-context.ts';
import { buildPlans, syncEntitiesOf } from './pass-runner.ts';
import { rereadRecord } from '../apply/fetched-records.ts';
import { previewNextPass } from '../admin/sync-preview.ts';
import type { FieldSelection, ResyncResult, SyncAdmin, SyncStatus } from '../admin/sync-admin.ts';
import { enabledSetting, passRequestSetting, SyncEngine } from './sync-engine.ts';
import { StatusReporter } from '../admin/sync-status.ts';
import { LatencyRecorder } from '../admin/sync-latency.ts';
import type { SyncField } from '../../domain/sync-field.ts';
import { toSyncFieldView, type SyncFieldView } from '../../domain/sync-field.ts';

/**
 * The running sync: the pass loop, the backfill runner and the admin facade over both. The composition root
 * starts it after the store and stops it before the store closes.
 */
export class SyncService implements SyncAdmin {
  readonly engine: SyncEngine;
  readonly backfills: BackfillRunner;
  /**
   * B2.8: where this engine times the changes it carries (`deps.latency`, or one of its own); read by the status
   * and the API's metrics. Another path that carries changes (the webhook worker) passes it in its deps to
   * `applyFetchedRecords`, or calls its `record*` methods.
   */
  readonly latency: LatencyRecorder;
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  readonly #status: StatusReporter;

  /**
   * `workStore`: where the pass loop and the backfills read and commit — on a PostgreSQL cluster the store
   * fenced by the sync's lease (B2.9), so work that outlived its lease commits nothing. The admin facade (status,
   * fields, errors, resync) uses `deps.store`, as every replica serves it.
   */
  constructor(deps: EngineDeps, settings: EngineSettings, workStore: EngineDeps['store'] = deps.store) {
    this.latency = deps.latency ?? new LatencyRecorder();
    this.#deps = { ...deps, latency: this.latency };
    this.#settings = settings;
    const work = { ...this.#deps, store: workStore };
    this.engine = new SyncEngine(work, settings);
    this.backfills = new BackfillRunner(work, settings);
    this.#status = new StatusReporter(this.#deps, settings, this.engine);
  }

  async start(): Promise<void> {
    await this.engine.start();
    this.backfills.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.engine.stop(), this.backfills.stop()]);
  }

  status(): Promise<SyncStatus> {
    return this.#status.status();
  }

  async setEnabled(enabled: boolean): Promise<SyncStatus> {
    await this.#deps.store.setSetting(enabledSetting, String(enabled));
    await this.engine.setEnabled(enabled, { persisted: true });
    return this.status();
  }

  async requestPass(): Promise<{ requested: true }> {
    // Stored, so the replica that runs the passes hears it even if it is not this one (B2.9).
    const stored = new Date().toISOString();
    await this.#deps.store.setSetting(passRequestSetting, stored);
    this.engine.requestPass(stored);
    return { requested: true };
  }

  listPasses(page: { limit: number; cursor?: string }) {
    return this.#deps.store.listPasses(page);
  }

  async resync(
    target: { personId: string } | { entity: 'lead' | 'contact'; crmId: string },
  ): Promise<ResyncResult> {
    const { store } = this.#deps;
    const link =
      'personId' in target
        ? (await store.listLinksOfPerson(target.personId)).find((candidate) => candidate.state === 'active')
        : await store.getLink(target.entity, target.crmId);
    if (link === undefined || link.state !== 'active') {
      throw new SynclineError('NOT_FOUND', 'No actively synced CRM record for that person or record.', {
        details: { ...target },
      });
    }
    const before = await store.getPerson(link.personId);
    const plans = await buildPlans(this.#deps, this.#settings);
    const scope = { plans, context: new PassContext(), settings: this.#settings };
    await rereadRecord(this.#deps, scope, link.entity, link.crmId);
    // A resync pushes every field that differs from its base, not just the latest edits (B8.2).
    await store.markPendingPush(link.entity, link.crmId, link.personId, null);
    const pushed = await pushRecordNow(this.#deps, { plans, settings: this.#settings }, link);
    const after = await store.getPerson(link.personId);
    const changed = Object.keys(after?.fields ?? {}).filter(
      (field) =>
        !field.startsWith('crm') && (before?.fields[field] ?? null) !== (after?.fields[field] ?? null),
    );
    return {
      personId: link.personId,
      entity: link.entity,
      crmId: link.crmId,
      toMarketing: changed,
      toCrm: pushed,
    };
  }

  preview() {
    return previewNextPass(this.#deps, this.#settings);
  }

  async listFields(): Promise<SyncFieldView[]> {
    const fields: SyncField[] = [];
    for (const entity of syncEntitiesOf(this.#settings))
      fields.push(...(await this.#deps.store.listSyncFields(entity.name)));
    return fields.map(toSyncFieldView);
  }

  async saveFields(selection: FieldSelection): Promise<SyncFieldView[]> {
    const result = await saveFieldSelection(this.#deps, syncEntitiesOf(this.#settings), selection);
    if (result.backfills.length > 0) this.backfills.poke();
    return this.listFields();
  }

  listErrors(query: { limit: number; cursor?: string; entity?: string; q?: string }) {
    return this.#deps.store.listSyncErrors(query);
  }

  async retryError(id: string) {
    const { store } = this.#deps;
    const error = await store.getSyncError(id);
    if (error === undefined)
      throw new SynclineError('NOT_FOUND', `No sync error with id ${id}.`, { details: { id } });
    await store.setSyncErrorStatus(id, 'retry');
    if (error.crmId !== null && isPersonEntity(error.entity) && error.direction === 'toCrm') {
      const link = await store.getLink(error.entity, error.crmId);
      if (link?.state === 'active') {
        await store.markPendingPush(error.entity, error.crmId, link.personId, null);
        const plans = await buildPlans(this.#deps, this.#settings);
        await pushRecordNow(this.#deps, { plans, settings: this.#settings }, link);
      }
    }
    return (await store.getSyncError(id))!;
  }

  listConflicts(query: { limit: number; cursor?: string; personId?: string }) {
    return this.#deps.store.listConflicts(query);
  }

  listNotifications(page: { limit: number; cursor?: string }) {
    return this.#deps.store.listNotifications(page);
  }
}
