import { randomBytes } from 'node:crypto';
import { CrmAdmin } from './crm-admin.ts';
import { createDatabase, type Backend, type ChaosDatabase } from './database.ts';
import {
  freePort,
  installWebhooks,
  startEmulator,
  startSyncline,
  stopProcess,
  synclineEnvironment,
  type EmulatorProcess,
  type SynclineProcess,
} from './processes.ts';
import { SynclineApi } from './syncline-api.ts';

/** The fixed API key of the chaos runs (SYNCLINE_API_KEY). */
export const chaosApiKey = 'chaos-harness-api-key-0123456789';

export interface WorldOptions {
  readonly backend: Backend;
  readonly replicas: number;
  readonly intervalSeconds: number;
  readonly counts: { readonly contacts: number; readonly leads: number; readonly accounts: number };
  /** The webhook fast path on (B2.8): the first replica listens on a known port and the webhook is installed. */
  readonly webhooks: boolean;
}

/**
 * The product of one seed as processes: the emulator, one or more `syncline start` (replicas only on
 * PostgreSQL), the API (through the first live replica) and the CRM administrator.
 */
export class World {
  readonly runId = randomBytes(6).toString('hex');
  readonly api: SynclineApi;
  readonly crm: CrmAdmin;
  readonly env: Record<string, string>;
  readonly replicas: (SynclineProcess | undefined)[];
  readonly #emulator: EmulatorProcess;
  readonly #database: ChaosDatabase;

  private constructor(
    emulator: EmulatorProcess,
    database: ChaosDatabase,
    options: WorldOptions,
    webhookPort: number | undefined,
  ) {
    this.#emulator = emulator;
    this.#database = database;
    this.crm = new CrmAdmin(emulator.url);
    this.env = {
      ...synclineEnvironment({
        emulatorUrl: emulator.url,
        database: database.url,
        apiKey: chaosApiKey,
        runId: this.runId,
        intervalSeconds: options.intervalSeconds,
      }),
      ...(webhookPort === undefined
        ? {}
        : {
            SYNCLINE_PORT: String(webhookPort),
            SYNCLINE_PUBLIC_URL: `http://127.0.0.1:${webhookPort}`,
            SYNCLINE_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
          }),
    };
    this.replicas = Array.from({ length: options.replicas }, () => undefined);
    this.api = new SynclineApi(() => this.#liveApiUrl(), chaosApiKey);
  }

  static async open(options: WorldOptions): Promise<World> {
    const database = await createDatabase(options.backend);
    let emulator: EmulatorProcess | undefined;
    try {
      emulator = await startEmulator(options.counts);
      const world = new World(emulator, database, options, options.webhooks ? await freePort() : undefined);
      for (let index = 0; index < options.replicas; index += 1) await world.start(index);
      if (options.webhooks) await installWebhooks(world.env);
      return world;
    } catch (error) {
      await emulator?.stop();
      await database.dispose();
      throw error;
    }
  }

  get database(): ChaosDatabase {
    return this.#database;
  }

  #liveApiUrl(): string {
    const live = this.replicas.find((replica) => replica !== undefined && !replica.process.exited());
    // No replica listens (between a kill and its restart): a closed port makes the client retry.
    return live?.apiUrl ?? 'http://127.0.0.1:9';
  }

  async start(index: number): Promise<void> {
    // Only the first replica listens where the webhook points; the others (and second engines) anywhere.
    this.replicas[index] = await startSyncline(index === 0 ? this.env : this.anyPortEnv);
  }

  /** The environment for a process that must not take the first replica's port. */
  get anyPortEnv(): Record<string, string> {
    return { ...this.env, SYNCLINE_PORT: '0' };
  }

  /** SIGKILL of the binary (not of its engine child: that is the point, B2.9). */
  async kill(index: number): Promise<void> {
    const replica = this.replicas[index];
    if (replica === undefined) return;
    this.replicas[index] = undefined;
    replica.process.child.kill('SIGKILL');
    await replica.process.exit;
  }

  /** SIGTERM of every replica, waiting for each to exit. */
  async stopSyncline(): Promise<void> {
    for (let index = 0; index < this.replicas.length; index += 1) {
      const replica = this.replicas[index];
      this.replicas[index] = undefined;
      if (replica !== undefined) await stopProcess(replica.process);
    }
  }

  /** The last lines of every replica's output, for reports. */
  output(): string {
    return this.replicas.map((replica) => replica?.process.output() ?? '').join('\n');
  }

  async close(): Promise<void> {
    await this.stopSyncline();
    await this.#emulator.stop();
    await this.#database.dispose();
  }
}
