/**
 * The environment the tests read, in one place (src/ reads it only through src/config/config.ts).
 * TEST_DATABASE_URL: the PostgreSQL server the store and API suites use; each run gets its own schema.
 */
export const testDatabaseUrl: string =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
