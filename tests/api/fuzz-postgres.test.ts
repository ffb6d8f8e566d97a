import { registerFuzzTests } from './fuzz-suite.ts';

// PostgreSQL from TEST_DATABASE_URL, in a schema of its own (tests/helpers/test-store.ts).
registerFuzzTests('PostgreSQL', 'postgres');
