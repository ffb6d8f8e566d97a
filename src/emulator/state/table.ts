import sortedBtree from 'sorted-btree';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { Row, Value } from './row.ts';

// sorted-btree is CommonJS with `exports.default`; under Node's ESM interop the default import is the module.
const BTree = sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

export interface Tombstone {
  readonly id: string;
  readonly version: number;
}

/** Receives an undo action for every change while a transaction is open (see EmulatorState.transaction). */
export type UndoSink = (undo: () => void) => void;

/**
 * One entity's rows with the indexes queries need: primary-key order (default paging order), version order
 * (change tracking), tombstones of deletes (delta `$deletedEntity` rows) and one index per alternate key.
 */
export class Table {
  readonly entity: EntityDefinition;
  readonly rows = new Map<string, Row>();
  readonly byId: BTree<string, Row> = new BTree<string, Row>();
  readonly byVersion: BTree<number, Row> = new BTree<number, Row>();
  /** Ascending by version. */
  readonly tombstones: Tombstone[] = [];
  /** Delta tokens whose version is at or below this are expired (`POST /_emulator/expire-delta-tokens`). */
  expiredThrough = 0;
  readonly pk: number;
  readonly versionIndex: number;
  private readonly keyIndexes: { name: string; columns: number[]; map: Map<string, string> }[];
  private readonly undo: () => UndoSink | undefined;

  constructor(entity: EntityDefinition, undo: () => UndoSink | undefined) {
    this.entity = entity;
    this.undo = undo;
    this.pk = entity.byName.get(entity.primaryId)!.index;
    this.versionIndex = entity.byName.get('versionnumber')!.index;
    this.keyIndexes = entity.keys.map((key) => ({
      name: key.logicalName,
      columns: key.attributes.map((name) => entity.byName.get(name)!.index),
      map: new Map(),
    }));
  }

  get size(): number {
    return this.rows.size;
  }

  get(id: string): Row | undefined {
    return this.rows.get(id);
  }

  /** Id of the row holding these alternate-key values (case-insensitive), if any. */
  findByKey(columns: readonly number[], values: readonly Value[]): string | undefined {
    const index = this.keyIndexes.find((k) => sameColumns(k.columns, columns));
    if (index) return index.map.get(keyOf(values));
    const wanted = keyOf(values);
    for (const [id, row] of this.rows) if (keyOf(columns.map((c) => row[c])) === wanted) return id;
    return undefined;
  }

  /** The alternate key this row would collide with (another row already holds the values), if any. */
  keyConflict(row: Row): string | undefined {
    const id = row[this.pk] as string;
    for (const index of this.keyIndexes) {
      const key = keyFromRow(row, index.columns);
      if (key === undefined) continue;
      const holder = index.map.get(key);
      if (holder !== undefined && holder !== id) return index.name;
    }
    return undefined;
  }

  /** Inserts or replaces a row (same id). The row's version must be new (greater than any stored). */
  put(row: Row): void {
    const id = row[this.pk] as string;
    const previous = this.rows.get(id);
    this.store(row, previous);
    this.undo()?.(() => {
      if (previous) this.store(previous, row);
      else this.unstore(row);
    });
  }

  /** Deletes a row and remembers it as a tombstone for change tracking. */
  remove(id: string, version: number): Row | undefined {
    const previous = this.rows.get(id);
    if (!previous) return undefined;
    this.unstore(previous);
    this.tombstones.push({ id, version });
    this.undo()?.(() => {
      this.tombstones.pop();
      this.store(previous, undefined);
    });
    return previous;
  }

  /**
   * Adds many new rows at once (seeding). Index inserts in key order are several times cheaper than random
   * ones, which matters for 1,000,000 rows. Rows must carry increasing, unused versions. Not journaled.
   */
  load(rows: Row[]): void {
    for (const row of rows) {
      this.rows.set(row[this.pk] as string, row);
      this.byVersion.set(row[this.versionIndex] as number, row);
      for (const index of this.keyIndexes) {
        const key = keyFromRow(row, index.columns);
        if (key !== undefined) index.map.set(key, row[this.pk] as string);
      }
    }
    const sorted = rows.slice().sort((a, b) => ((a[this.pk] as string) < (b[this.pk] as string) ? -1 : 1));
    for (const row of sorted) this.byId.set(row[this.pk] as string, row);
  }

  /** Drops every row and tombstone (control API reset). Not journaled. */
  clear(): void {
    this.rows.clear();
    this.byId.clear();
    this.byVersion.clear();
    this.tombstones.length = 0;
    for (const index of this.keyIndexes) index.map.clear();
    this.expiredThrough = 0;
  }

  /** Tombstones with from < version <= to, oldest first. */
  tombstonesBetween(from: number, to: number): Tombstone[] {
    let low = 0;
    let high = this.tombstones.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.tombstones[mid].version <= from) low = mid + 1;
      else high = mid;
    }
    const result: Tombstone[] = [];
    for (let i = low; i < this.tombstones.length && this.tombstones[i].version <= to; i++) {
      result.push(this.tombstones[i]);
    }
    return result;
  }

  /** Forgets tombstones no valid delta token can ask for any more. */
  pruneTombstones(through: number): void {
    let count = 0;
    while (count < this.tombstones.length && this.tombstones[count].version <= through) count++;
    if (count > 0) this.tombstones.splice(0, count);
  }

  private store(row: Row, previous: Row | undefined): void {
    const id = row[this.pk] as string;
    if (previous) {
      this.byVersion.delete(previous[this.versionIndex] as number);
      this.unindexKeys(previous);
    } else {
      this.byId.set(id, row);
    }
    this.rows.set(id, row);
    if (previous) this.byId.set(id, row);
    this.byVersion.set(row[this.versionIndex] as number, row);
    for (const index of this.keyIndexes) {
      const key = keyFromRow(row, index.columns);
      if (key !== undefined) index.map.set(key, id);
    }
  }

  private unstore(row: Row): void {
    const id = row[this.pk] as string;
    this.rows.delete(id);
    this.byId.delete(id);
    this.byVersion.delete(row[this.versionIndex] as number);
    this.unindexKeys(row);
  }

  private unindexKeys(row: Row): void {
    const id = row[this.pk] as string;
    for (const index of this.keyIndexes) {
      const key = keyFromRow(row, index.columns);
      if (key !== undefined && index.map.get(key) === id) index.map.delete(key);
    }
  }
}

function keyFromRow(row: Row, columns: readonly number[]): string | undefined {
  const values = columns.map((c) => row[c]);
  if (values.some((v) => v === null || v === undefined || v === '')) return undefined;
  return keyOf(values);
}

function keyOf(values: readonly Value[]): string {
  return values.map((v) => (typeof v === 'string' ? v.toLowerCase() : String(v))).join('\u0000');
}

function sameColumns(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
