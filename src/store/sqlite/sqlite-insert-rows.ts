import { CompiledQuery, type Kysely } from 'kysely';
import { maxCachedStatementLength } from './sqlite-dialect.ts';
import type { BulkInsert } from '../sql/bulk-insert.ts';
import type { Database } from '../sql/schema.ts';

/** Most rows per statement: past about a hundred rows a longer statement binds no faster (measured). */
const maxRowsPerStatement = 100;

interface Texts {
  /** Rows per statement, largest first: full statements, then the remainder in few statements. */
  readonly sizes: readonly number[];
  readonly bySize: Map<number, string>;
}

const textsOf = new WeakMap<BulkInsert, Texts>();

/**
 * SQLite's side of `StoreBackend.insertRows`: multi-row `values` statements of a few fixed sizes, each short
 * enough for the dialect's statement cache (sqlite-dialect.ts), so each size is prepared once per connection
 * and then only bound and run. A 1,000-row statement is too long to cache (its compiled program holds a few
 * hundred bytes per parameter, issue 7) and was prepared anew for every chunk: with node:sqlite, preparing
 * and running 1,000-row inserts cost 2.7–3.8 µs per row, running cached 100-row ones 1.5 µs (7 text columns,
 * one core; a node:sqlite microbenchmark, figures in the commit message).
 */
export async function sqliteInsertRows(
  db: Kysely<Database>,
  insert: BulkInsert,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const texts = textsFor(insert);
  const width = insert.columns.length;
  let start = 0;
  while (start < rows.length) {
    const left = rows.length - start;
    const size = texts.sizes.find((candidate) => candidate <= left)!;
    const parameters = new Array<unknown>(size * width);
    for (let row = 0; row < size; row++) {
      const values = rows[start + row];
      if (values.length !== width) throw new Error(`insertRows(${insert.table}): ${values.length} values`);
      for (let column = 0; column < width; column++) parameters[row * width + column] = values[column];
    }
    await db.executeQuery(CompiledQuery.raw(textOf(insert, texts, size), parameters));
    start += size;
  }
}

function textsFor(insert: BulkInsert): Texts {
  let texts = textsOf.get(insert);
  if (texts === undefined) {
    const fixed = statementText(insert, 0).length;
    const perRow = statementText(insert, 1).length - fixed;
    const full = Math.max(
      1,
      Math.min(maxRowsPerStatement, Math.floor((maxCachedStatementLength - fixed) / perRow)),
    );
    // A remainder of r rows takes at most log2(full) statements, each of a size cached like the full one.
    const sizes = [full];
    for (let size = 2 ** Math.floor(Math.log2(full)); size >= 1; size /= 2) if (size < full) sizes.push(size);
    texts = { sizes, bySize: new Map() };
    textsOf.set(insert, texts);
  }
  return texts;
}

function textOf(insert: BulkInsert, texts: Texts, size: number): string {
  let text = texts.bySize.get(size);
  if (text === undefined) {
    text = statementText(insert, size);
    texts.bySize.set(size, text);
  }
  return text;
}

function statementText(insert: BulkInsert, rows: number): string {
  const row = `(${insert.columns.map(() => '?').join(',')})`;
  const values = Array.from({ length: rows }, () => row).join(',');
  const conflict = insert.onConflict === undefined ? '' : ` ${insert.onConflict}`;
  return `insert into ${insert.table} (${insert.columns.join(',')}) values ${values}${conflict}`;
}
