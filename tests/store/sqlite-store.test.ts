import { describe } from 'node:test';
import { registerStoreTests } from '../contract/register-store-tests.ts';
import { createTestDatabase } from '../helpers/test-store.ts';

describe('Store contract on SQLite', () => {
  registerStoreTests({ name: 'sqlite', createDatabase: () => createTestDatabase('sqlite') });
});
