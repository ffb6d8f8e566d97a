import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../logging/logger.ts';
import type { Row } from '../state/row.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';
import { toWebhookEvent } from './webhook-event.ts';
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
      };
    }),
  };
}

/**
 * Delivers webhooks for every change the core commits (reference §11). Listening costs nothing while no
 * step is registered; closing the app waits for deliveries in flight.
 */
export function registerWebhooks(
  app: FastifyInstance,
  state: EmulatorState,
  organization: Omit<WebhookOrganization, 'host'>,
  logger: Logger,
): WebhookDispatcher {
  const host = () => {
    const address = app.server.address();
    return typeof address === 'object' && address !== null
      ? `${address.address}:${address.port}`
      : 'localhost';
  };
  const dispatcher = new WebhookDispatcher({
    registrations: () => readRegistrations(state),
    organization: {
      ...organization,
      get host() {
        return host();
      },
    },
    logger,
  });
  const unsubscribe = state.onRecordChanged((change) => {
    if (state.table('sdkmessageprocessingstep').size === 0) return;
    dispatcher.onRecordChanged(toWebhookEvent(state, change));
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    await dispatcher.idle();
  });
  return dispatcher;
}
