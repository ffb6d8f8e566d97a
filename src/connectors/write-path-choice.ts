import type { CrmConnector, WritePath, WritePathProbe } from './connector.ts';

/**
 * Where probe answers are remembered between starts, per organisation. The store's settings fit as they are:
 * `{ get: (key) => store.getSetting(key), set: (key, value) => store.setSetting(key, value) }`.
 */
export interface WritePathMemory {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** The write path chosen for one entity, with the probe it rests on (for `check`, logs and the status). */
export interface WritePathChoice {
  readonly entity: string;
  readonly path: WritePath;
  readonly probe: WritePathProbe;
  /** ISO time of the probe (the remembered one when `remembered`). */
  readonly probedAt: string;
  /** The answer came from `memory`, no probe ran now. */
  readonly remembered: boolean;
}

export interface ChooseWritePathsOptions {
  /** Default: the person entities, lead and contact. */
  readonly entities?: readonly string[];
  /**
   * A remembered definite answer older than this is probed again (default 7 days): a service update may
   * change how UpdateMultiple treats ETags, and a wrong `bulk` loses CRM edits silently.
   */
  readonly maxAgeMs?: number;
  readonly now?: () => Date;
}

/** Memory key of an entity's answer for one organisation (WhoAmI's OrganizationId). */
export function writePathMemoryKey(organizationId: string, entity: string): string {
  return `crm.writePath.${organizationId.toLowerCase()}.${entity}`;
}

/**
 * B4.5 at first connect: for each entity, the remembered probe answer for this organisation if it is definite
 * and recent, else a new `probeWritePath` (remembered when definite; an `unknown` is probed again next time).
 * Sets the connector's write paths — `bulk` only where the probe proved that stale ETags are refused, `batch`
 * everywhere else — and returns the choices. Never throws: without WhoAmI or memory it still probes, and when
 * nothing can be told every entity stays on `batch`, the documented path.
 */
export async function chooseWritePaths(
  crm: CrmConnector,
  memory: WritePathMemory,
  options: ChooseWritePathsOptions = {},
): Promise<WritePathChoice[]> {
  const entities = options.entities ?? ['lead', 'contact'];
  const now = options.now ?? (() => new Date());
  const maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600 * 1000;
  let organizationId: string | undefined;
  try {
    organizationId = (await crm.whoAmI()).organizationId;
  } catch {
    organizationId = undefined;
  }
  const choices: WritePathChoice[] = [];
  for (const entity of entities) {
    const key = organizationId === undefined ? undefined : writePathMemoryKey(organizationId, entity);
    const remembered = key === undefined ? undefined : await recall(memory, key);
    if (
      remembered &&
      isDefinite(remembered.probe) &&
      now().getTime() - Date.parse(remembered.probedAt) < maxAgeMs
    ) {
      choices.push({ entity, path: pathOf(remembered.probe), ...remembered, remembered: true });
      continue;
    }
    const probe = await crm.probeWritePath(entity);
    const probedAt = now().toISOString();
    if (key !== undefined && isDefinite(probe)) {
      try {
        await memory.set(key, JSON.stringify({ probe, probedAt }));
      } catch {
        // Not remembered: the next start probes again, which is only slower.
      }
    }
    choices.push({ entity, path: pathOf(probe), probe, probedAt, remembered: false });
  }
  crm.setWritePaths(Object.fromEntries(choices.map((choice) => [choice.entity, choice.path])));
  return choices;
}

/** One line per entity for `syncline check` and logs. */
export function describeWritePath(choice: WritePathChoice): string {
  const via = choice.path === 'bulk' ? 'UpdateMultiple (ETags verified)' : '$batch with If-Match';
  const when = choice.remembered ? `remembered from ${choice.probedAt}` : 'probed now';
  return `${choice.entity}: updates via ${via} — ${choice.probe.reason} (${when})`;
}

function pathOf(probe: WritePathProbe): WritePath {
  return probe.proved ? 'bulk' : 'batch';
}

/** Worth remembering: proved, or definitely not usable (ETags ignored, message unavailable). */
function isDefinite(probe: WritePathProbe): boolean {
  return probe.proved || probe.bulkEtagsHonoured === false || probe.bulkAvailable === false;
}

async function recall(
  memory: WritePathMemory,
  key: string,
): Promise<{ probe: WritePathProbe; probedAt: string } | undefined> {
  try {
    const text = await memory.get(key);
    if (text === undefined) return undefined;
    const parsed = JSON.parse(text) as { probe?: WritePathProbe; probedAt?: string };
    if (
      parsed.probe === undefined ||
      typeof parsed.probe.proved !== 'boolean' ||
      typeof parsed.probedAt !== 'string' ||
      Number.isNaN(Date.parse(parsed.probedAt))
    ) {
      return undefined;
    }
    return { probe: parsed.probe, probedAt: parsed.probedAt };
  } catch {
    return undefined;
  }
}
