import type { LeaseTable } from './lease-table.ts';
import { postgresLeaseTable } from './postgres/postgres-lease-table.ts';

/** The cluster's lease table (B2.9) for a PostgreSQL URL; the same `?schema=` convention as the store. */
export function createLeaseTable(databaseUrl: string): LeaseTable {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  return postgresLeaseTable(url.toString(), schema);
}
