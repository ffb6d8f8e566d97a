import type { Command } from 'commander';
import type { Config } from '../../config/config.ts';
import { loadConfig } from '../../config/config.ts';
import type { CrmConnector, CrmIdentity, EntityAccessProbe } from '../../connectors/connector.ts';
import { defaultSelection } from '../../domain/field-catalog.ts';
import { builtInEntities, isPersonEntity } from '../../domain/sync-entities.ts';
import { defaultEngineSettings } from '../../engine/engine.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { createLogger, type Logger } from '../../logging/logger.ts';
import { openRuntime } from '../../runtime/open-runtime.ts';
import { webhookStatus } from '../../webhooks/webhook-install.ts';
import type { CliContext } from '../cli.ts';
import { printWebhookStatus } from './webhooks-command.ts';

/**
 * `syncline check` (B8.3, the original's Validate Sync): URL reachable, credentials valid, WhoAmI (of every
 * application user when several are configured), the sync user's privileges and change tracking per entity, and which selected fields it can read and update. Prints a
 * readable report; exits 0 only when the connection is usable.
 */
export function registerCheckCommand(program: Command, context: CliContext): void {
  program
    .command('check')
    .description('Validate the configured CRM connection and print a report; exit 0 only when usable.')
    .action(async () => {
      const config = loadConfig(context.env);
      if (config.crm === undefined) {
        throw new SynclineError(
          'CONFIG_INVALID',
          'No CRM is configured (SYNCLINE_DYNAMICS_URL is unset, so `syncline start` runs the demo emulator): nothing to check.',
        );
      }
      const logger = createLogger({ level: 'silent' });
      // Short retries: an operator waits for the report, and an unusable connection should say so quickly.
      const runtime = await openRuntime(config, logger, {
        parts: ['crm'],
        crmTuning: { retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1000, budgetMs: 10_000 } },
      });
      const crm = runtime.crm;
      const out = (line: string) => context.stdout.write(`${line}\n`);
      try {
        out(`Syncline check — ${config.crm.url}`);
        const usable = await runChecks(crm, await selectedFields(config, logger), out);
        if (usable) await checkWebhooks(crm, config, out);
        out(
          usable
            ? '\nResult: the connection is usable.'
            : '\nResult: NOT usable — fix the items marked ✘ above.',
        );
        if (!usable) process.exitCode = 1;
      } finally {
        await runtime.close();
      }
    });
}

async function runChecks(crm: CrmConnector, selection: Map<string, string[]>, out: (line: string) => void) {
  if (!(await checkIdentities(crm, out))) return false;
  let usable = true;
  out('  Entities (read / create / update / change tracking):');
  const entities = [...builtInEntities.map((entity) => entity.name), ...defaultEngineSettings.customEntities];
  for (const entity of entities) {
    let probe: EntityAccessProbe;
    try {
      probe = await crm.probeEntityAccess(entity);
    } catch (error) {
      const optional = !isPersonEntity(entity);
      out(`    ${optional ? '!' : '✘'} ${entity}: ${error instanceof Error ? error.message : String(error)}`);
      if (!optional) usable = false;
      continue;
    }
    const mark = (value: boolean | 'unknown') => (value === 'unknown' ? '?' : value ? '✔' : '✘');
    // Two-way entities need read and update; one-way entities only read (B1.2).
    const ok = probe.read && (!isPersonEntity(entity) || probe.update !== false);
    if (!ok) usable = false;
    out(
      `    ${ok ? '✔' : '✘'} ${entity.padEnd(18)} read ${mark(probe.read)}  create ${mark(probe.create)}  update ${mark(probe.update)}  change tracking ${mark(probe.changeTracking)}` +
        (probe.changeTracking ? '' : ' (falls back to a modifiedon watermark)'),
    );
    for (const problem of probe.problems) out(`        ${problem}`);
    const fields = selection.get(entity) ?? [];
    if (fields.length === 0 || !probe.read) continue;
    const { attributes } = await crm.describeEntity(entity);
    const byName = new Map(attributes.map((attribute) => [attribute.logicalName, attribute]));
    const unreadable = fields.filter((name) => byName.get(name)?.read !== true);
    const readOnly = fields.filter(
      (name) => byName.get(name)?.read === true && byName.get(name)?.update !== true,
    );
    out(
      `        selected fields: ${fields.length - unreadable.length} readable` +
        (isPersonEntity(entity) ? `, ${fields.length - unreadable.length - readOnly.length} updatable` : ''),
    );
    if (unreadable.length > 0) out(`        ! not readable (not synced): ${unreadable.join(', ')}`);
    if (isPersonEntity(entity) && readOnly.length > 0)
      out(`        ! read-only (pulled, never pushed): ${readOnly.join(', ')}`);
  }
  await checkWritePaths(crm, out);
  return usable;
}

/**
 * Every configured application user authenticates and answers WhoAmI (B8.3; several users, interfaces.md §2):
 * the sync spreads its requests over all of them, so one bad secret fails passes. Named by position and
 * systemuser, never by a secret.
 */
async function checkIdentities(crm: CrmConnector, out: (line: string) => void): Promise<boolean> {
  const identities = await crm.identities();
  const failed = (identity: CrmIdentity) => {
    const reason = identity.error?.reason;
    return reason === 'auth'
      ? 'credentials refused'
      : reason === 'unreachable'
        ? 'URL not reachable'
        : 'WhoAmI failed';
  };
  if (identities.every((identity) => identity.error?.reason === 'unreachable')) {
    out(`  ✘ URL not reachable: ${identities[0].error?.message ?? ''}`);
    return false;
  }
  if (identities.length === 1) {
    const [only] = identities;
    if (only.error) {
      out(`  ✘ ${failed(only)}: ${only.error.message}`);
      return false;
    }
    out(`  ✔ URL reachable`);
    out(
      `  ✔ credentials valid — WhoAmI: user ${only.whoAmI?.userId}, organisation ${only.whoAmI?.organizationId}`,
    );
    return true;
  }
  out(`  ✔ URL reachable`);
  out(`  Application users (${identities.length}; requests are spread over them, each with its own limits):`);
  for (const identity of identities) {
    const who = `application user #${identity.number}`;
    if (identity.error) out(`    ✘ ${who}: ${failed(identity)}: ${identity.error.message}`);
    else {
      out(
        `    ✔ ${who}${identity.name ? ` (${identity.name})` : ''} — credentials valid, WhoAmI: user ` +
          `${identity.whoAmI?.userId}, organisation ${identity.whoAmI?.organizationId}`,
      );
    }
  }
  const organisations = new Set(
    identities.map((identity) => identity.whoAmI?.organizationId).filter(Boolean),
  );
  if (organisations.size > 1) out('    ✘ the application users belong to different organisations');
  return identities.every((identity) => identity.error === undefined) && organisations.size === 1;
}

/**
 * B4.5: whether UpdateMultiple may carry updates — available for the table, and proven to refuse a stale ETag
 * (a scratch record is created, changed and deleted). Never makes the connection unusable: `$batch` with
 * If-Match always works; the engine repeats this probe at its first connect and remembers the answer.
 */
async function checkWritePaths(crm: CrmConnector, out: (line: string) => void): Promise<void> {
  out('  Write path for updates (B4.5; probes with one scratch record per table, deleted after):');
  for (const entity of ['lead', 'contact']) {
    const probe = await crm.probeWritePath(entity);
    const mark = probe.leftoverRecordId !== undefined ? '✘' : probe.proved ? '✔' : '!';
    out(
      `    ${mark} ${entity.padEnd(18)} UpdateMultiple available ${String(probe.bulkAvailable)}, stale ETag refused ` +
        `${String(probe.bulkEtagsHonoured)} → updates via ${probe.proved ? 'UpdateMultiple' : '$batch with If-Match'}`,
    );
    out(`        ${probe.reason}`);
    if (probe.leftoverRecordId !== undefined) {
      out(
        `        ✘ the scratch ${entity} ${probe.leftoverRecordId} could not be deleted: delete it by hand`,
      );
    }
  }
}

/**
 * B2.8: whether the webhook that feeds the fast path is registered for SYNCLINE_PUBLIC_URL. Informational: the
 * passes carry every change without it, so it never makes the connection unusable.
 */
async function checkWebhooks(crm: CrmConnector, config: Config, out: (line: string) => void): Promise<void> {
  out('  Webhooks (near-real-time sync, B2.8):');
  const publicUrl = config.webhooks.publicUrl;
  if (publicUrl === undefined) {
    out('    ! SYNCLINE_PUBLIC_URL is not set: not checked (changes cross with the passes)');
    return;
  }
  if (config.webhooks.secret === undefined) {
    out('    ! SYNCLINE_WEBHOOK_SECRET is not set: the receiver is off, webhooks would be refused (404)');
  }
  try {
    printWebhookStatus(await webhookStatus(crm, publicUrl, defaultEngineSettings), out, '    ');
  } catch (error) {
    out(
      `    ! the registrations could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The saved selection when the database has one, else the default mapping (interfaces.md §6). */
async function selectedFields(config: Config, logger: Logger): Promise<Map<string, string[]>> {
  const selection = new Map<string, string[]>();
  for (const entity of builtInEntities) selection.set(entity.name, defaultSelection(entity.name));
  try {
    // Checking must not create a database: only an existing SQLite file is opened; without one (or when the
    // database cannot be read) the default selection is checked.
    const runtime = await openRuntime(config, logger, { parts: ['store'], existingDatabaseOnly: true });
    try {
      const saved = new Map<string, string[]>();
      for (const field of await runtime.store.listSyncFields()) {
        if (!field.selected) continue;
        saved.set(field.entity, [...(saved.get(field.entity) ?? []), field.attribute]);
      }
      return saved.size > 0 ? saved : selection;
    } finally {
      await runtime.close();
    }
  } catch {
    return selection;
  }
}
