import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { SyncAdmin } from '../../engine/engine.ts';
import type { FlowActions } from '../../flows/flow-service.ts';
import type { CampaignStore } from '../../store/campaign-store.ts';
import type { ClusterAdmin } from '../../store/lease-table.ts';
import type { MirrorReadStore } from '../../store/mirror-store.ts';
import type { PersonStore } from '../../store/person-store.ts';
import type { SchemaStore } from '../../store/schema-store.ts';
import type { WebhookReceiver } from '../../webhooks/webhook-receiver.ts';
import type { ApiMetrics } from '../metrics.ts';

/** The Fastify instance routes are registered on: request types come from the TypeBox schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * What handlers may use. Narrow on purpose: routes reach the database only through these store ports — never
 * the engine's state (links, outbox, cursors), which they see through `syncAdmin`, and never the mirror's
 * writes (B1.2: the CRM copies are read-only).
 */
export interface RouteDependencies {
  readonly persons: PersonStore;
  /** The read-only CRM mirror (B1.2). */
  readonly mirror: MirrorReadStore;
  /** Trigger campaigns and their runs (B7.5). */
  readonly campaigns: CampaignStore;
  /** Whether the database answers and is migrated, for `GET /ready`. */
  readonly schema: SchemaStore;
  /** Logical names of the CRM entities mirrored one way (B1.2): the built-ins plus synced custom entities. */
  readonly mirrorEntities: () => Promise<readonly string[]>;
  /** The sync engine's administration port; absent when no engine runs (the sync routes answer 503). */
  readonly syncAdmin?: SyncAdmin;
  readonly metrics: ApiMetrics;
  /** The flow actions (B7); absent when this process has no CRM connection (the action routes answer 503). */
  readonly flows?: FlowActions;
  /** The Dataverse webhook receiver (B2.8); absent when off (no SYNCLINE_WEBHOOK_SECRET): the route answers 404. */
  readonly webhooks?: WebhookReceiver;
  /** The cluster's replicas and leases (B2.9); absent when this process runs no engine (the route answers 503). */
  readonly cluster?: ClusterAdmin;
}

/** One file per endpoint, each exporting one of these. */
export type RouteRegistration = (app: ApiApp, dependencies: RouteDependencies) => void;
