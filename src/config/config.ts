import { hostname } from 'node:os';
import { z } from 'zod';
import { SynclineError } from '../errors/syncline-error.ts';

/**
 * Configuration (interfaces.md §2). This folder is the only place that reads `process.env`: everything else
 * receives the frozen `Config` built here, once, at start.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logFormats = ['pretty', 'json'] as const;

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be 0–65535')
  .max(65535, 'must be 0–65535');

const seconds = z.coerce.number({ error: 'must be a number of seconds' }).min(0, 'must not be negative');

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  SYNCLINE_DB: z
    .string()
    .trim()
    .default('sqlite:./data/syncline.db')
    .refine(
      (value) => /^sqlite:.+/.test(value) || /^postgres(ql)?:\/\/.+/.test(value),
      'must be sqlite:<path> or a postgres:// URL',
    ),
  SYNCLINE_PORT: port.default(8080),
  SYNCLINE_HOST: z.string().trim().min(1).default('127.0.0.1'),
  SYNCLINE_API_KEY: optionalText,
  SYNCLINE_DYNAMICS_URL: optionalText.pipe(z.url({ error: 'must be an http(s) URL' }).optional()),
  SYNCLINE_DYNAMICS_TENANT_ID: optionalText,
  SYNCLINE_DYNAMICS_CLIENT_ID: optionalText,
  SYNCLINE_DYNAMICS_CLIENT_SECRET: optionalText,
  SYNCLINE_DYNAMICS_TOKEN: optionalText,
  SYNCLINE_DYNAMICS_AUTHORITY_HOST: optionalText,
  SYNCLINE_SYNC_INTERVAL: seconds.optional(),
  SYNCLINE_PUSH_DELAY_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must not be negative')
    .default(1000),
  SYNCLINE_EMULATOR_PORT: port.default(8081),
  SYNCLINE_LOG_LEVEL: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }).default('info'),
  SYNCLINE_LOG_FORMAT: z.enum(logFormats, { error: 'must be pretty or json' }).optional(),
  // Dataverse stores a service endpoint's `authvalue` in at most 2,048 characters (reference §11).
  SYNCLINE_WEBHOOK_SECRET: optionalText.pipe(
    z
      .string()
      .min(16, 'must be at least 16 characters (a long random string)')
      .max(2048, 'must be at most 2,048 characters (Dataverse stores no longer key)')
      .optional(),
  ),
  SYNCLINE_PUBLIC_URL: optionalText.pipe(z.url({ error: 'must be an http(s) URL' }).optional()),
  // B2.9: renewed every third of it; under 3 s a GC pause or a slow commit would hand the work around.
  SYNCLINE_LEASE_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(3, 'must be at least 3 seconds')
    .max(3600, 'must be at most 3,600 seconds')
    .default(15),
  // Bounded storage: fractions are allowed (a soak test keeps minutes, not days).
  SYNCLINE_CHANGE_FEED_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .min(0, 'must not be negative')
    .max(3650, 'must be at most 3,650 days')
    .default(7),
  SYNCLINE_SYNC_ERROR_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .gt(0, 'must be more than 0 days')
    .max(3650, 'must be at most 3,650 days')
    .default(90),
  SYNCLINE_REPLICA_ID: optionalText.pipe(z.string().max(200, 'must be at most 200 characters').optional()),
  // Checked by parseNotify (CONFIG_NOTIFY_INVALID), whose messages never repeat a value: a Slack or Teams
  // webhook URL is itself a secret.
  SYNCLINE_NOTIFY_URL: optionalText,
  SYNCLINE_NOTIFY_SECRET: optionalText,
  SYNCLINE_NOTIFY_FORMAT: optionalText,
});

/** How a notification is POSTed (B6.6): the notification as the API shows it, or a Slack / Teams message. */
export const notifyFormats = ['json', 'slack', 'teams'] as const;
export type NotifyFormat = (typeof notifyFormats)[number];

/** Where notifications are also POSTed (B6.6, interfaces.md §2). */
export interface NotifyConfig {
  /** A secret in itself for Slack and Teams (the path is the credential): never log it. */
  readonly url: string;
  /** Signs each POST (`X-Syncline-Signature`); absent → unsigned. */
  readonly secret: string | undefined;
  readonly format: NotifyFormat;
}

export type LogLevel = (typeof logLevels)[number];

/** `pretty`: one readable line per event, for a person at a terminal; `json`: one JSON object per line. */
export type LogFormat = (typeof logFormats)[number];

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export type CrmAuthConfig =
  | { kind: 'static-token'; token: string }
  | {
      kind: 'client-credentials';
      tenantId: string;
      clientId: string;
      clientSecret: string;
      /** Entra ID authority host; only tests and the emulator change it. */
      authorityHost: string | undefined;
    };

export interface Config {
  readonly database: DatabaseConfig;
  readonly http: { readonly host: string; readonly port: number };
  /** The API key as configured; absent → generated on first start and stored hashed. */
  readonly apiKey: string | undefined;
  /** Demo mode: no CRM configured, so `start` runs the emulator with demo data and syncs with it. */
  readonly demo: boolean;
  /**
   * The CRM and the application users Syncline calls it as: one, or several (comma-separated lists, interfaces.md
   * §2) over which the connector spreads its requests, each with its own service-protection budget.
   */
  readonly crm: { readonly url: string; readonly identities: readonly CrmAuthConfig[] } | undefined;
  readonly sync: {
    readonly intervalSeconds: number;
    /** B2.8: a committed marketing change is pushed at most this long after it commits; 0 = only by passes. */
    readonly pushDelayMs: number;
  };
  readonly emulator: { readonly port: number };
  readonly logLevel: LogLevel;
  /** The PostgreSQL cluster (B2.9): how long a lease lasts unrenewed, and this replica's name. */
  readonly cluster: { readonly leaseSeconds: number; readonly replicaId: string };
  readonly logFormat: LogFormat;
  /** The Dataverse webhook feeding the fast path (B2.8). */
  readonly webhooks: {
    /** The key Dataverse sends with each webhook; absent → the receiver is off (demo mode makes its own). */
    readonly secret: string | undefined;
    /** Where Dataverse reaches this service, without a trailing slash. */
    readonly publicUrl: string | undefined;
  };
  /** Notifications POSTed out (B6.6); absent → shown in the UI and logged only. */
  readonly notify: NotifyConfig | undefined;
  /**
   * Bounded storage: how long the marketing change feed keeps an entry every reader has passed, and how long
   * a sync error is kept after it was last seen.
   */
  readonly retention: { readonly changeFeedDays: number; readonly syncErrorDays: number };
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** What the process runs in, beyond its environment variables: defaults that depend on it. */
export interface ConfigContext {
  /** stdout is a terminal (a person reads the logs): `SYNCLINE_LOG_FORMAT` defaults to `pretty`. */
  readonly stdoutIsTty?: boolean;
}

/** Parses and validates the environment once. Throws `CONFIG_INVALID` naming every bad setting. */
export function loadConfig(env: Environment, context: ConfigContext = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new SynclineError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  const e = parsed.data;
  const demo = e.SYNCLINE_DYNAMICS_URL === undefined;
  return deepFreeze({
    database: parseDatabase(e.SYNCLINE_DB),
    http: { host: e.SYNCLINE_HOST, port: e.SYNCLINE_PORT },
    apiKey: e.SYNCLINE_API_KEY,
    demo,
    crm: demo
      ? undefined
      : { url: e.SYNCLINE_DYNAMICS_URL!.replace(/\/+$/, ''), identities: parseCrmIdentities(e) },
    sync: {
      intervalSeconds: e.SYNCLINE_SYNC_INTERVAL ?? (demo ? 10 : 300),
      pushDelayMs: e.SYNCLINE_PUSH_DELAY_MS,
    },
    emulator: { port: e.SYNCLINE_EMULATOR_PORT },
    logLevel: e.SYNCLINE_LOG_LEVEL,
    cluster: {
      leaseSeconds: e.SYNCLINE_LEASE_SECONDS,
      replicaId: e.SYNCLINE_REPLICA_ID ?? `${hostname()}:${process.pid}`,
    },
    logFormat: e.SYNCLINE_LOG_FORMAT ?? (context.stdoutIsTty === true ? 'pretty' : 'json'),
    webhooks: {
      secret: e.SYNCLINE_WEBHOOK_SECRET,
      publicUrl: e.SYNCLINE_PUBLIC_URL?.replace(/\/+$/, ''),
    },
    notify: parseNotify(e),
    retention: {
      changeFeedDays: e.SYNCLINE_CHANGE_FEED_RETENTION_DAYS,
      syncErrorDays: e.SYNCLINE_SYNC_ERROR_RETENTION_DAYS,
    },
  });
}

/**
 * SYNCLINE_NOTIFY_* (B6.6). Every problem is named at once; no message repeats a value, since the URL of a
 * Slack or Teams webhook is its credential and the secret is one.
 */
function parseNotify(e: z.infer<typeof envSchema>): NotifyConfig | undefined {
  const problems: string[] = [];
  const format = e.SYNCLINE_NOTIFY_FORMAT ?? 'json';
  if (!(notifyFormats as readonly string[]).includes(format)) {
    problems.push(`SYNCLINE_NOTIFY_FORMAT must be one of ${notifyFormats.join(', ')}`);
  }
  const url = e.SYNCLINE_NOTIFY_URL;
  if (url !== undefined) {
    const parsed = URL.parse(url);
    if (parsed === null || !['http:', 'https:'].includes(parsed.protocol)) {
      problems.push('SYNCLINE_NOTIFY_URL must be an http(s) URL');
    } else if (parsed.username !== '' || parsed.password !== '') {
      problems.push(
        'SYNCLINE_NOTIFY_URL must not hold a user name or password (sign with SYNCLINE_NOTIFY_SECRET)',
      );
    }
  }
  const secret = e.SYNCLINE_NOTIFY_SECRET;
  if (secret !== undefined && url === undefined) {
    problems.push('SYNCLINE_NOTIFY_SECRET is set but SYNCLINE_NOTIFY_URL is not: there is nothing to sign');
  }
  if (secret !== undefined && secret.length < 16) {
    problems.push('SYNCLINE_NOTIFY_SECRET must be at least 16 characters (a long random string)');
  }
  if (problems.length > 0) {
    throw new SynclineError(
      'CONFIG_NOTIFY_INVALID',
      `Invalid notification settings: ${problems.join('; ')}.`,
      {
        details: { problems },
      },
    );
  }
  return url === undefined ? undefined : { url, secret, format: format as NotifyFormat };
}

function parseDatabase(value: string): DatabaseConfig {
  return value.startsWith('sqlite:')
    ? { kind: 'sqlite', path: value.slice('sqlite:'.length) }
    : { kind: 'postgres', url: value };
}

/**
 * One identity per entry of the lists (interfaces.md §2): static tokens, or client id + secret pairs under the one
 * tenant. Messages name variables and positions only, never a value: a token or a secret must not reach a log.
 */
function parseCrmIdentities(e: z.infer<typeof envSchema>): CrmAuthConfig[] {
  if (e.SYNCLINE_DYNAMICS_TOKEN !== undefined) {
    const tokens = listOf('SYNCLINE_DYNAMICS_TOKEN', e.SYNCLINE_DYNAMICS_TOKEN);
    return tokens.map((token) => ({ kind: 'static-token', token }));
  }
  const missing = (
    ['SYNCLINE_DYNAMICS_TENANT_ID', 'SYNCLINE_DYNAMICS_CLIENT_ID', 'SYNCLINE_DYNAMICS_CLIENT_SECRET'] as const
  ).filter((name) => e[name] === undefined);
  if (missing.length > 0) {
    throw new SynclineError(
      'CONFIG_INVALID',
      `SYNCLINE_DYNAMICS_URL is set, so the CRM needs credentials: set SYNCLINE_DYNAMICS_TOKEN, or all of ` +
        `SYNCLINE_DYNAMICS_TENANT_ID, SYNCLINE_DYNAMICS_CLIENT_ID and SYNCLINE_DYNAMICS_CLIENT_SECRET ` +
        `(missing: ${missing.join(', ')}).`,
      { details: { missing } },
    );
  }
  if (e.SYNCLINE_DYNAMICS_TENANT_ID!.includes(',')) {
    throw identitiesInvalid(
      'SYNCLINE_DYNAMICS_TENANT_ID holds a list: it names the one Entra ID tenant of the organisation; list ' +
        'the application users in SYNCLINE_DYNAMICS_CLIENT_ID and SYNCLINE_DYNAMICS_CLIENT_SECRET.',
    );
  }
  const ids = listOf('SYNCLINE_DYNAMICS_CLIENT_ID', e.SYNCLINE_DYNAMICS_CLIENT_ID!);
  const secrets = listOf('SYNCLINE_DYNAMICS_CLIENT_SECRET', e.SYNCLINE_DYNAMICS_CLIENT_SECRET!);
  if (ids.length !== secrets.length) {
    throw identitiesInvalid(
      `SYNCLINE_DYNAMICS_CLIENT_ID lists ${ids.length} application user(s) but SYNCLINE_DYNAMICS_CLIENT_SECRET ` +
        `${secrets.length} secret(s): give one secret per client id, in the same order.`,
    );
  }
  return ids.map((clientId, i) => ({
    kind: 'client-credentials',
    tenantId: e.SYNCLINE_DYNAMICS_TENANT_ID!,
    clientId,
    clientSecret: secrets[i],
    authorityHost: e.SYNCLINE_DYNAMICS_AUTHORITY_HOST,
  }));
}

/** A comma-separated list without empty or repeated entries (a user listed twice would share one budget). */
function listOf(name: string, value: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  const empty = items.findIndex((item) => item === '');
  if (empty >= 0) throw identitiesInvalid(`${name} has an empty entry at position ${empty + 1}.`);
  const repeated = items.findIndex((item, i) => items.indexOf(item) !== i);
  if (repeated >= 0) {
    throw identitiesInvalid(
      `${name} lists the same value at positions ${items.indexOf(items[repeated]) + 1} and ${repeated + 1}: ` +
        'each entry must be a different application user.',
    );
  }
  return items;
}

function identitiesInvalid(message: string): SynclineError {
  return new SynclineError('CONFIG_IDENTITIES_INVALID', message);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
