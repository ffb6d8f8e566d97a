import type { Logger } from '../../logging/logger.ts';
import { invalidArgumentCode } from '../batch/batch-error.ts';
import { dataverseErrorResponse } from '../batch/http-message.ts';
import { registerSettingsRoute, type SettingsRouteHost } from '../control/register-settings-route.ts';
import { parseSettings } from '../limits/limits-settings.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { Row } from '../state/row.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';
import { recordSystemJob } from './system-jobs.ts';
import { toWebhookEvent } from './webhook-event.ts';
import { webhookSettingsSchema, type WebhookSettings } from './webhook-settings.ts';
import type { WebhookOrganization, WebhookRegistrations } from './webhook-types.ts';

/** Reads `serviceendpoints` and `sdkmessageprocessingsteps` (with their message and filter) from the state. */
export function readRegistrations(state: EmulatorState): WebhookRegistrations {
  const rowsOf = (entity: string) => {
    const definition = state.catalog.entity(entity);
    const rows = [...state.table(entity).rows.values()];
    const get = (row: Row, name: string) => {
      const attribute = definition?.byName.get(name);
      const value = attribute === undefined ? undefined : row[attribute.index];
      return value ?? null;
    };
    return rows.map((row) => (name: string) => get(row, name));
  };
  const messages = new Map(
    rowsOf('sdkmessage').map((get) => [String(get('sdkmessageid')), String(get('name'))]),
  );
  const filters = new Map(
    rowsOf('sdkmessagefilter').map((get) => [
      String(get('sdkmessagefilterid')),
      get('primaryobjecttypecode'),
    ]),
  );
  return {
    endpoints: rowsOf('serviceendpoint').map((get) => ({
      id: String(get('serviceendpointid')),
      contract: Number(get('contract') ?? 0),
      url: String(get('url') ?? ''),
      authtype: Number(get('authtype') ?? 0),
      authvalue: get('authvalue') === null ? null : String(get('authvalue')),
    })),
    steps: rowsOf('sdkmessageprocessingstep').map((get) => {
      const filter = get('sdkmessagefilterid');
      const entity = filter === null ? null : filters.get(String(filter));
      return {
        id: String(get('sdkmessageprocessingstepid')),
        name: get('name') === null ? null : String(get('name')),
        message: messages.get(String(get('sdkmessageid'))) ?? '',
        entity: entity === null || entity === undefined ? null : String(entity),
        filteringAttributes: get('filteringattributes') === null ? null : String(get('filteringattributes')),
        stage: Number(get('stage') ?? 0),
        mode: Number(get('mode') ?? 0),
        endpointId: String(get('eventhandler') ?? ''),
        enabled: Number(get('statecode') ?? 0) === 0,
        asyncAutoDelete: get('asyncautodelete') === true,
      };
    }),
  };
}

/** What webhook delivery needs from the emulator core. */
export interface WebhookHost extends SettingsRouteHost {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
  readonly organization: Omit<WebhookOrganization, 'host'>;
  readonly logger: Logger;
  /** Initial `PUT /_emulator/webhooks` settings (EmulatorOptions.webhooks). */
  readonly settings?: Partial<WebhookSettings> | undefined;
}

/**
 * Delivers webhooks for every change the core commits (reference §11) and records asynchronous steps'
 * outcomes as system jobs. Listening costs nothing while no step is registered; closing the app waits for
 * deliveries in flight. Serves `GET|PUT /_emulator/webhooks` (administrator token).
 */
export function registerWebhooks(host: WebhookHost): WebhookDispatcher {
  const { app, state, fls, logger } = host;
  const hostName = () => {
    const address = app.server.address();
    return typeof address === 'object' && address !== null
      ? `${address.address}:${address.port}`
      : 'localhost';
  };
  const dispatcher = new WebhookDispatcher({
    registrations: () => readRegistrations(state),
    organization: {
      ...host.organization,
      get host() {
        return hostName();
      },
    },
    logger,
    settings: webhookSettingsSchema.parse(host.settings ?? {}),
    onOutcome: (outcome) => recordSystemJob(state, fls, outcome),
  });
  const unsubscribe = state.onRecordChanged((change) => {
    if (state.table('sdkmessageprocessingstep').size === 0) return;
    dispatcher.onRecordChanged(toWebhookEvent(state, change));
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    await dispatcher.idle();
  });
  registerSettingsRoute(
    host,
    'webhooks',
    (body) => {
      const parsed = parseSettings(webhookSettingsSchema, body);
      if (!parsed.ok) {
        return dataverseErrorResponse(
          400,
          invalidArgumentCode,
          `Invalid webhook settings: ${parsed.problems.join('; ')}.`,
        );
      }
      dispatcher.configure(parsed.value);
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(parsed.value),
      };
    },
    () => dispatcher.settings,
  );
  return dispatcher;
}
