import { DataverseError, dataverseCodes, odataError } from '../http/dataverse-error.ts';

/** The DeletedMetadataFilters members a deletion is filed under (the Web API enum has no `Entity`: `Default`). */
export type DeletedKind = 'Default' | 'Attribute';

/**
 * When each piece of the emulated schema last changed, so `RetrieveMetadataChanges` can answer a
 * `ClientVersionStamp` with only what changed since (Microsoft's "Cache schema data" page). Every change moves
 * one counter; a stamp is `<counter>!<MM/dd/yyyy HH:mm:ss>` like Dataverse's (reference §7). What is tracked:
 * an entity's own properties (change tracking switched), an attribute created, an option added to its option
 * set, and deleted entities and attributes by MetadataId. A reset expires every stamp issued before it.
 */
export class MetadataHistory {
  #version = 0;
  /** Stamps at or below this version answer ExpiredVersionStamp; -1 = none expired. */
  #expiredThrough = -1;
  /** MetadataId (entity or attribute) → version of its last own change. */
  readonly #changed = new Map<string, number>();
  /** Attribute MetadataId → version of the last change to its option set; `<id>:<value>` → the option's. */
  readonly #optionSets = new Map<string, number>();
  readonly #options = new Map<string, number>();
  readonly #deleted: { kind: DeletedKind; id: string; version: number }[] = [];

  get version(): number {
    return this.#version;
  }

  stamp(now = new Date()): string {
    const pad = (n: number) => String(n).padStart(2, '0');
    const date =
      `${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}/${now.getUTCFullYear()} ` +
      `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
    return `${this.#version}!${date}`;
  }

  /**
   * The version a client's stamp stands for. A stamp from before a reset (or from another organisation: ahead
   * of this counter) answers ExpiredVersionStamp `0x80044352`, as Dataverse does when it cannot tell what changed.
   */
  since(stamp: string): number {
    const match = /^(\d+)!\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/.exec(stamp);
    if (!match) throw odataError(`The ClientVersionStamp '${stamp}' is not a version stamp.`);
    const version = Number(match[1]);
    if (version <= this.#expiredThrough || version > this.#version) {
      throw new DataverseError(
        400,
        dataverseCodes.expiredVersionStamp,
        'Version stamp associated with the client has expired. Please perform a full sync.',
      );
    }
    return version;
  }

  entityChanged(entityId: string): void {
    this.#changed.set(entityId, this.#next());
  }

  attributeCreated(attributeId: string): void {
    this.#changed.set(attributeId, this.#next());
  }

  attributeDeleted(attributeId: string): void {
    this.#changed.delete(attributeId);
    this.#deleted.push({ kind: 'Attribute', id: attributeId, version: this.#next() });
  }

  optionInserted(attributeId: string, value: number): void {
    const version = this.#next();
    this.#optionSets.set(attributeId, version);
    this.#options.set(`${attributeId}:${value}`, version);
  }

  /** Every stamp issued so far expires (control API reset: the schema went back to its definitions). */
  expireAll(): void {
    this.#expiredThrough = this.#version;
    this.#next();
    this.#changed.clear();
    this.#optionSets.clear();
    this.#options.clear();
    this.#deleted.length = 0;
  }

  /** Did the entity's or attribute's own properties change after `since`? */
  changedAfter(id: string, since: number): boolean {
    return (this.#changed.get(id) ?? 0) > since;
  }

  optionSetChangedAfter(attributeId: string, since: number): boolean {
    return (this.#optionSets.get(attributeId) ?? 0) > since;
  }

  optionChangedAfter(attributeId: string, value: number, since: number): boolean {
    return (this.#options.get(`${attributeId}:${value}`) ?? 0) > since;
  }

  /** MetadataIds of what was deleted after `since`, by kind (the answer's DeletedMetadata). */
  deletedAfter(since: number, kinds: ReadonlySet<DeletedKind>): Map<DeletedKind, string[]> {
    const out = new Map<DeletedKind, string[]>();
    for (const entry of this.#deleted) {
      if (entry.version <= since || !kinds.has(entry.kind)) continue;
      out.set(entry.kind, [...(out.get(entry.kind) ?? []), entry.id]);
    }
    return out;
  }

  #next(): number {
    this.#version += 1;
    return this.#version;
  }
}
