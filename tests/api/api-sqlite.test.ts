import { openTestStore } from '../helpers/test-store.ts';
import { registerPersonsApiTests } from './register-persons-api-tests.ts';
import { registerRecordsApiTests } from './register-records-api-tests.ts';

registerPersonsApiTests('SQLite', () => openTestStore('sqlite'));
registerRecordsApiTests('SQLite', () => openTestStore('sqlite'));
