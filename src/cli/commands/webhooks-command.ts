import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/config.ts';
import type { CrmConnector, WebhookStepKey } from '../../connectors/connector.ts';
import { defaultEngineSettings } from '../../engine/engine.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { createLogger } from '../../logging/logger.ts';
import { openRuntime } from '../../runtime/open-runtime.ts';
import {
  installWebhooks,
  receiverUrl,
  webhookStatus,
  type WebhookStatus,
} from '../../webhooks/webhook-install.ts';
import type { CliContext } from '../cli.ts';

type Out = (line: string) => void;

/**
 * `syncline webhooks install|uninstall|status` (interfaces.md §3, B2.8): registers (idempotently), removes or
 * lists the Dataverse webhook that feeds the fast path — a `serviceendpoint` (contract Webhook, url
 * `$SYNCLINE_PUBLIC_URL/api/v1/webhooks/dataverse`, WebhookKey `SYNCLINE_WEBHOOK_SECRET`) and asynchronous
 * post-operation steps for the synced entities — with the configured credentials, and prints what it did.
 */
export function registerWebhooksCommand(program: Command, context: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .description(
      'Register, remove or list the Dataverse webhook that carries CRM changes within seconds (B2.8).',
    );
  webhooks
    .command('install')
    .description('Register the webhook (idempotent: run it again after changing the secret or the entities).')
    .action(() =>
      withCrm(context, ['SYNCLINE_PUBLIC_URL', 'SYNCLINE_WEBHOOK_SECRET'], async (crm, config, out) => {
        const publicUrl = config.webhooks.publicUrl!;
        out(`Syncline webhook — ${receiverUrl(publicUrl)}`);
        const report = await installWebhooks(
          crm,
          { publicUrl, secret: config.webhooks.secret! },
          defaultEngineSettings,
        );
        out(
          `  ✔ service endpoint ${report.endpointId} ${report.endpoint === 'created' ? 'created' : 'kept; its key was set again'} (WebhookKey)`,
        );
        out(
          `  ✔ steps (asynchronous, post-operation): ${report.created.length} created, ${report.enabled.length} enabled again, ` +
            `${report.unchanged.length} already there, ${report.removed.length} removed`,
        );
        for (const [what, steps] of [
          ['created', report.created],
          ['enabled again', report.enabled],
          ['removed', report.removed],
        ] as const) {
          if (steps.length > 0) out(`      ${what}: ${describeSteps(steps)}`);
        }
        if (report.unavailable.length > 0) {
          out(
            `  ! not offered by this organisation (those changes cross with the passes): ${describeSteps(report.unavailable)}`,
          );
        }
      }),
    );
  webhooks
    .command('uninstall')
    .description('Remove the webhook; changes then cross with the passes only.')
    .action(() =>
      withCrm(context, ['SYNCLINE_PUBLIC_URL'], async (crm, config, out) => {
        const url = receiverUrl(config.webhooks.publicUrl!);
        out(`Syncline webhook — ${url}`);
        const removed = await crm.uninstallWebhook(url);
        if (removed.length === 0) out('  ✔ nothing registered for this URL: nothing to remove');
        for (const registration of removed) {
          out(
            `  ✔ removed service endpoint ${registration.endpointId} and its ${registration.steps.length} step(s)`,
          );
        }
      }),
    );
  webhooks
    .command('status')
    .description('List the webhook registered for SYNCLINE_PUBLIC_URL; exit 0 only when it is installed.')
    .action(() =>
      withCrm(context, ['SYNCLINE_PUBLIC_URL'], async (crm, config, out) => {
        const status = await webhookStatus(crm, config.webhooks.publicUrl!, defaultEngineSettings);
        out(`Syncline webhook — ${status.url}`);
        printWebhookStatus(status, out, '  ');
        if (!status.installed) process.exitCode = 1;
      }),
    );
}

/** The status lines `webhooks status` and `check` print. */
export function printWebhookStatus(status: WebhookStatus, out: Out, indent: string): void {
  if (status.registrations.length === 0) {
    out(
      `${indent}✘ not installed: run \`syncline webhooks install\` (until then changes cross with the passes)`,
    );
    return;
  }
  for (const registration of status.registrations) {
    const enabled = registration.steps.filter((step) => step.enabled);
    out(
      `${indent}${status.installed ? '✔' : '!'} service endpoint ${registration.endpointId} ` +
        `(${registration.authType === 4 ? 'WebhookKey' : `auth type ${registration.authType}`}): ` +
        `${enabled.length} enabled step(s) of ${registration.steps.length}`,
    );
    if (enabled.length > 0) out(`${indent}    ${describeSteps(enabled)}`);
  }
  if (status.missing.length > 0) {
    out(`${indent}✘ missing steps: ${describeSteps(status.missing)} — run \`syncline webhooks install\``);
  }
  if (status.mergeMissing.length > 0) {
    out(`${indent}! no Merge step (not offered, or not installed): ${describeSteps(status.mergeMissing)}`);
  }
}

/** `contact: Create, Update; lead: Delete` */
function describeSteps(steps: readonly WebhookStepKey[]): string {
  const byEntity = new Map<string, string[]>();
  for (const step of steps) byEntity.set(step.entity, [...(byEntity.get(step.entity) ?? []), step.message]);
  return [...byEntity].map(([entity, messages]) => `${entity}: ${messages.join(', ')}`).join('; ');
}

/** Checks the settings a subcommand needs, opens the connector alone, runs, closes. */
async function withCrm(
  context: CliContext,
  required: readonly ('SYNCLINE_PUBLIC_URL' | 'SYNCLINE_WEBHOOK_SECRET')[],
  run: (crm: CrmConnector, config: Config, out: Out) => Promise<void>,
): Promise<void> {
  const config = loadConfig(context.env);
  if (config.crm === undefined) {
    throw new SynclineError(
      'CONFIG_INVALID',
      'No CRM is configured (SYNCLINE_DYNAMICS_URL is unset): in demo mode `syncline start` installs the webhook on its emulator by itself.',
    );
  }
  const values = {
    SYNCLINE_PUBLIC_URL: config.webhooks.publicUrl,
    SYNCLINE_WEBHOOK_SECRET: config.webhooks.secret,
  };
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    throw new SynclineError(
      'CONFIG_INVALID',
      `Set ${missing.join(' and ')}: SYNCLINE_PUBLIC_URL is where Dataverse reaches this service, SYNCLINE_WEBHOOK_SECRET the key it sends (the same on every replica).`,
      { details: { missing } },
    );
  }
  const runtime = await openRuntime(config, createLogger({ level: 'silent' }), { parts: ['crm'] });
  try {
    await run(runtime.crm, config, (line) => context.stdout.write(`${line}\n`));
  } finally {
    await runtime.close();
  }
}
