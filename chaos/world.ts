import { randomBytes } from 'node:crypto';
import type { SeedArtifacts } from './artifacts.ts';
import { CrmAdmin } from './crm-admin.ts';
import { createDatabase, type Backend, type ChaosDatabase } from './database.ts';
import {
  childrenOf,
  freePort,
  installWebhooks,
  killWhole,
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
  /** `SYNCLINE_LEASE_SECONDS` (PostgreSQL cluster, B2.9): short, so a killed holder's lease expires soon. */
  readonly leaseSeconds: number;
  /** Where every process's output is written as it comes (kept when the seed has a violation). */
  readonly artifacts?: SeedArtifacts;
}

/** The `sync` lease's holder as `GET /api/v1/cluster` shows it, and which of the seed's replicas that is. */
export interface SyncHolder {
  readonly holder: string;
  readonly epoch: number;
  /** Index in `World.replicas`, or undefined when no live replica of the harness is the holder. */
  readonly index: number | undefined;
}

/**
 * The product of one seed as processes: the emulator, one or more `syncline start` (replicas only on
 * PostgreSQL), the API (each request to the next live replica in turn, so every replica serves, and a killed
 * one only loses its turn) and the CRM administrator.
 */
export class World {
  readonly runId = randomBytes(6).toString('hex');
  readonly api: SynclineApi;
  readonly crm: CrmAdmin;
  readonly env: Record<string, string>;
  readonly replicas: (SynclineProcess | undefined)[];
  readonly leaseSeconds: number;
  readonly #emulator: EmulatorProcess;
  readonly #database: ChaosDatabase;
  readonly #artifacts: SeedArtifacts | undefined;
  /** How many times each replica was started (its log files are numbered). */
  readonly #starts: number[];
  #secondEngines = 0;
  #turn = 0;

  private constructor(
    emulator: EmulatorProcess,
    database: ChaosDatabase,
    options: WorldOptions,
    webhookPort: number | undefined,
  ) {
    this.#emulator = emulator;
    this.#database = database;
    this.#artifacts = options.artifacts;
    this.leaseSeconds = options.leaseSeconds;
    this.crm = new CrmAdmin(emulator.url);
    this.env = {
      ...synclineEnvironment({
        emulatorUrl: emulator.url,
        database: database.url,
        apiKey: chaosApiKey,
        runId: this.runId,
        intervalSeconds: options.intervalSeconds,
      }),
      SYNCLINE_LEASE_SECONDS: String(options.leaseSeconds),
      ...(webhookPort === undefined
        ? {}
        : {
            SYNCLINE_PORT: String(webhookPort),
            SYNCLINE_PUBLIC_URL: `http://127.0.0.1:${webhookPort}`,
            SYNCLINE_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
          }),
    };
    this.replicas = Array.from({ length: options.replicas }, () => undefined);
    this.#starts = this.replicas.map(() => 0);
    this.api = new SynclineApi(() => this.#liveApiUrl(), chaosApiKey);
  }

  static async open(options: WorldOptions): Promise<World> {
    const database = await createDatabase(options.backend);
    let emulator: EmulatorProcess | undefined;
    try {
      emulator = await startEmulator(options.counts, options.artifacts?.logFile('emulator'));
      const world = new World(emulator, database, options, options.webhooks ? await freePort() : undefined);
      for (let index = 0; index < options.replicas; index += 1) await world.start(index);
      if (options.webhooks) await installWebhooks(world.env, options.artifacts?.logFile('webhooks-install'));
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
    const live = this.replicas.filter((replica) => replica !== undefined && !replica.process.exited());
    this.#turn += 1;
    // No replica listens (between a kill and its restart): a closed port makes the client retry.
    return live[this.#turn % Math.max(1, live.length)]?.apiUrl ?? 'http://127.0.0.1:9';
  }

  async start(index: number): Promise<void> {
    this.#starts[index] += 1;
    // Only the first replica listens where the webhook points; the others (and second engines) anywhere.
    this.replicas[index] = await startSyncline(
      index === 0 ? this.env : this.anyPortEnv,
      this.#artifacts?.logFile(`replica-${index}.${this.#starts[index]}`),
    );
  }

  /** The log file of the next second engine started on purpose. */
  secondEngineLogFile(): string | undefined {
    this.#secondEngines += 1;
    return this.#artifacts?.logFile(`second-engine.${this.#secondEngines}`);
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

  /**
   * SIGKILL of replica `index` whole — engine child and binary (`killWhole`): what a failed machine does to the
   * holder of the leases (issue 15).
   */
  async killWhole(index: number): Promise<void> {
    const replica = this.replicas[index];
    if (replica === undefined) return;
    this.replicas[index] = undefined;
    await killWhole(replica.process);
  }

  /** `GET /api/v1/cluster` (through a live replica): who holds the `sync` lease now; undefined if nobody. */
  async syncHolder(): Promise<SyncHolder | undefined> {
    const view = await this.api.ok('GET', '/api/v1/cluster');
    const lease = (view.leases as { name: string; holder: string | null; epoch: number }[]).find(
      (candidate) => candidate.name === 'sync',
    );
    if (lease?.holder == null) return undefined;
    // The holder's id is `<hostname>:<pid>` of its engine process (the binary's child): match by pid.
    const pid = (view.replicas as { id: string; pid: number }[]).find(
      (replica) => replica.id === lease.holder,
    )?.pid;
    const index = this.replicas.findIndex(
      (replica) =>
        replica !== undefined &&
        !replica.process.exited() &&
        (replica.process.pid === pid || childrenOf(replica.process.pid).includes(pid ?? -1)),
    );
    return { holder: lease.holder, epoch: lease.epoch, index: index < 0 ? undefined : index };
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
