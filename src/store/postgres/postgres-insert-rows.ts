import { CompiledQuery, type Kysely } from 'kysely';
import type { BulkInsert } from '../sql/bulk-insert.ts';
import type { Database } from '../sql/schema.ts';

/** Rows per statement: bounds the size of one message (the statement has one parameter whatever the rows). */
const rowsPerStatement = 1000;

const texts = new WeakMap<BulkInsert, string>();

/**
 * PostgreSQL's side of `StoreBackend.insertRows`: the rows travel as one JSON array of arrays (serialised by
 * the engine's native `JSON.stringify`), which the server takes apart with `jsonb_array_elements`; the
 * statement text is the same whatever the number of rows. `unnest` of one array parameter per column did the
 * same on the server, but node-postgres quotes every element of an array parameter in JavaScript (two regular
 * expressions per value): with JSON columns that was 13 % of the client's CPU on a page of new contacts.
 * `with ordinality … order by` inserts the rows in the order given, so generated values (the change feed's
 * `seq`) follow it as they did with a multi-row `values` list.
 */
export async function postgresInsertRows(
  db: Kysely<Database>,
  insert: BulkInsert,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const width = insert.columns.length;
  for (const values of rows) {
    if (values.length !== width) throw new Error(`insertRows(${insert.table}): ${values.length} values`);
  }
  for (let start = 0; start < rows.length; start += rowsPerStatement) {
    const chunk =
      start === 0 && rows.length <= rowsPerStatement ? rows : rows.slice(start, start + rowsPerStatement);
    await db.executeQuery(CompiledQuery.raw(textOf(insert), [JSON.stringify(chunk)]));
  }
}

function textOf(insert: BulkInsert): string {
  let text = texts.get(insert);
  if (text === undefined) {
    const names = insert.columns.join(', ');
    const values = insert.pgTypes.map((type, index) => `(r->>${index})::${type}`).join(', ');
    const conflict = insert.onConflict === undefined ? '' : ` ${insert.onConflict}`;
    text =
      `insert into ${insert.table} (${names}) select ${values} ` +
      `from jsonb_array_elements($1::jsonb) with ordinality as t(r, n) order by n${conflict}`;
    texts.set(insert, text);
  }
  return text;
}
