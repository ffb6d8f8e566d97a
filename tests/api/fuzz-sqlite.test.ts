import { registerFuzzTests } from './fuzz-suite.ts';

registerFuzzTests('SQLite', 'sqlite');
