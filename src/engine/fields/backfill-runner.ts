import { fromCrmValue } from '../../domain/crm-attribute.ts';
import { isPersonEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import { ensurePersonFields } from './person-field-registry.ts';
import { addNotification } from '../admin/add-notification.ts';
import { mappingsOf } from './entity-plan.ts';
import { syncEntitiesOf } from '../run/pass-runner.ts';
import { backfillStartPosition, oweRewind } from '../pull/backfill-rewind.ts';
import { crmCursorName } from '../pull/crm-puller.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { BackfillJob } from '../../store/job-store.ts';

/**
 * Backfills (B5.5, the original's Quick Sync): a newly selected field is filled for every linked record from
 * the CRM — nulls included — alongside the passes and independently of enable/disable (B8.1). Progress is
 * saved after every page, so a crash resumes where it stopped. When done, the fields sync normally and a
 * notification says so.
 */
export class BackfillRunner {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #abort = new AbortController();

  constructor(deps: EngineDeps, settings: EngineSettings) {
    this.#deps = deps;
    this.#settings = settings;
  }

  /** Starts the loop; may be called again after `stop` (a replica that took the sync's lease again, B2.9). */
  start(): void {
    this.#stopped = false;
    this.#abort = new AbortController();
    this.#loop = this.#run();
  }

  /** New jobs were queued: look now instead of at the next poll. */
  poke(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** Runs every queued or interrupted job to its end; returns how many ran. */
  async runPending(): Promise<number> {
    let ran = 0;
    for (;;) {
      const page = await this.#deps.store.listBackfillJobs({ limit: 10, status: ['running', 'queued'] });
      const job = page.items[0];
      if (job === undefined || this.#abort.signal.aborted) return ran;
      await this.#runJob(job);
      ran += 1;
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.runPending();
      } catch (error) {
        this.#deps.logger.error({ err: error }, 'backfill failed; retrying later');
      }
      if (this.#stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #runJob(job: BackfillJob): Promise<void> {
    const { store, crm, logger } = this.#deps;
    const entity = syncEntitiesOf(this.#settings).find((candidate) => candidate.name === job.entity);
    if (entity === undefined) {
      await store.updateBackfillJob(job.id, { status: 'failed', error: `Unknown entity ${job.entity}.` });
      return;
    }
    // B5.5: where the entity's changes stood before the first read, kept across a crash (a resumed job keeps
    // its first start's): passes skip the fields while they backfill, so the first pass after it reads the
    // changes since then again (pull/backfill-rewind.ts) — an edit made while the backfill ran is not lost.
    const position = job.position ?? (await backfillStartPosition(store, crmCursorName(job.entity)));
    await store.updateBackfillJob(job.id, { status: 'running', position });
    const description = await crm.describeEntity(job.entity);
    const mappings = mappingsOf(entity, description, await store.listSyncFields(job.entity), job.attributes);
    await ensurePersonFields(store, [{ entity, mappings }]);
    let processed = job.processed;
    // Resuming reads from the start again: re-applying a page is idempotent (same values, same bases).
    for await (const page of crm.readAll(job.entity, job.attributes, {
      pageSize: this.#settings.pageSize,
      signal: this.#abort.signal,
    })) {
      await store.withTransaction(async (tx) => {
        if (isPersonEntity(job.entity)) {
          const links = await tx.getLinks(
            job.entity,
            page.records.map((record) => record.id),
          );
          // One bulk write per page: updatePersons locks the persons in the store's order (emails, then
          // persons by id) and setBasesOf the bases documents by CRM id, so the backfill running beside a pass
          // neither deadlocks with its pages nor writes back a bases document the pass changed meanwhile (B4.7).
          const persons = new Map<string, Record<string, PersonValue>>();
          const bases: { crmId: string; values: Record<string, PersonValue> }[] = [];
          for (const record of page.records) {
            const link = links.get(record.id);
            if (link === undefined || link.state !== 'active') continue;
            const values: Record<string, PersonValue> = {};
            const recordBases: Record<string, PersonValue> = {};
            for (const mapping of mappings) {
              const value = fromCrmValue(mapping.attribute, record.values[mapping.attribute.logicalName]);
              recordBases[mapping.attribute.logicalName] = value;
              if (mapping.personField !== undefined) values[mapping.personField] = value;
            }
            persons.set(link.personId, { ...persons.get(link.personId), ...values });
            bases.push({ crmId: record.id, values: recordBases });
          }
          await tx.updatePersons(
            [...persons].map(([id, fields]) => ({ id, fields })),
            'sync',
          );
          await tx.setBasesOf(job.entity, bases);
        } else {
          for (const record of page.records) {
            const row = await tx.getMirrorRow(job.entity, record.id);
            if (row === undefined) continue;
            const attributes: Record<string, unknown> = { ...row.attributes };
            for (const attribute of job.attributes) attributes[attribute] = record.values[attribute] ?? null;
            await tx.upsertMirrorRows([
              { entity: job.entity, id: record.id, attributes, deleted: row.deleted },
            ]);
          }
        }
        processed += page.records.length;
        await tx.updateBackfillJob(job.id, { processed });
      });
      if (this.#abort.signal.aborted) return;
    }
    await store.withTransaction(async (tx) => {
      for (const attribute of job.attributes)
        await tx.setSyncFieldState(job.entity, attribute, 'synced', null);
      await oweRewind(tx, job.entity, position, job.attributes);
      await tx.updateBackfillJob(job.id, {
        status: 'done',
        total: processed,
        finishedAt: new Date().toISOString(),
      });
      await addNotification(this.#deps, tx, {
        type: 'backfill-done',
        message: `Backfill of ${job.entity}.${job.attributes.join(', ')} is done: ${processed} records read.`,
        details: { jobId: job.id, entity: job.entity, attributes: job.attributes },
      });
    });
    logger.info({ job: job.id, processed }, 'backfill done');
  }
}
