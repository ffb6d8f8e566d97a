import { openTestStore } from '../helpers/test-store.ts';
import { registerPersonsApiTests } from './register-persons-api-tests.ts';
import { registerRecordsApiTests } from './register-records-api-tests.ts';

// PostgreSQL from TEST_DATABASE_URL, each suite in a schema of its own (tests/helpers/test-store.ts).
registerPersonsApiTests('PostgreSQL', () => openTestStore('postgres'));
registerRecordsApiTests('PostgreSQL', () => openTestStore('postgres'));
