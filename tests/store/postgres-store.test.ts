import { describe } from 'node:test';
import { registerStoreTests } from '../contract/register-store-tests.ts';
import { createTestDatabase } from '../helpers/test-store.ts';

describe('Store contract on PostgreSQL (TEST_DATABASE_URL, one schema per test)', () => {
  registerStoreTests({ name: 'postgres', createDatabase: () => createTestDatabase('postgres') });
});
