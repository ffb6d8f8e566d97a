// Lint rules: typescript-eslint's recommended set plus the few rules that catch real sync bugs
// (floating promises lose errors; type-only imports keep type stripping erasable).
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * The architecture's import boundaries (docs/architecture.md), checked on resolved paths by
 * eslint-plugin-boundaries. Every folder of src/ is an element, matched from the repository root; `src` catches
 * the files at its root (app.ts, main.ts). The first matching descriptor wins, so the API contracts come before
 * api/ and src/ comes last.
 */
const elements = [
  { type: 'api-contracts', pattern: 'src/api/contracts' },
  ...[
    ...['domain', 'engine', 'flows', 'webhooks', 'api', 'cli', 'runtime', 'emulator', 'store', 'connectors'],
    'notifications',
    ...['config', 'errors', 'logging'],
  ].map((folder) => ({ type: folder, pattern: `src/${folder}` })),
  { type: 'src-root', pattern: 'src' },
  { type: 'bench', pattern: 'bench' },
  { type: 'tests', pattern: 'tests' },
  { type: 'chaos', pattern: 'chaos' },
  { type: 'web', pattern: 'web' },
].map((element) => ({ ...element, partialMatch: false }));

/** The engine's public face: the one file of engine/ that the layers above it may import. */
const engineFace = 'src/engine/engine.ts';

const forbid = (from, to, message) => ({
  from: { element: { types: { anyOf: from } } },
  disallow: { to: { element: { types: { anyOf: to } } } },
  message,
});

/** Only `allowed` of ours; everything else of ours is reported (the last matching policy decides). */
const only = (from, allowed, message) => [
  { from: { element: { type: from } }, disallow: { to: { element: { type: '*' } } }, message },
  { from: { element: { type: from } }, allow: { to: allowed } },
];

/** The message of each policy is what a developer reads in the lint report: the rule, and why. */
const boundaryPolicies = [
  ...only(
    'domain',
    [{ element: { type: 'domain' } }],
    'domain/ is the ground floor: it imports nothing of ours outside domain/.',
  ),
  forbid(
    ['engine'],
    ['api', 'api-contracts', 'cli', 'flows', 'webhooks', 'notifications', 'src-root', 'emulator'],
    'engine/ never imports api/, cli/, flows/, webhooks/, notifications/, app.ts or emulator/: they sit above it.',
  ),
  {
    from: {
      element: {
        types: {
          anyOf: [
            ...['flows', 'webhooks', 'api', 'api-contracts', 'cli', 'src-root', 'runtime'],
            ...['bench', 'tests', 'chaos'],
          ],
        },
      },
    },
    disallow: { to: { element: { type: 'engine' }, file: { path: `!${engineFace}` } } },
    message: `Outside engine/, import the engine only through its public face ${engineFace}, not its internals.`,
  },
  forbid(
    ['webhooks'],
    ['api', 'api-contracts', 'cli', 'src-root', 'runtime', 'emulator'],
    'webhooks/ sits below the API, the CLI and the composition root, and never reaches into the emulator: it imports none of them.',
  ),
  forbid(
    ['notifications'],
    [
      'engine',
      'api',
      'api-contracts',
      'flows',
      'webhooks',
      'cli',
      'src-root',
      'runtime',
      'emulator',
      'connectors',
    ],
    'notifications/ delivers what the store queued: it imports the store, config and logging, never the engine, the CRM, the API or the root, so a receiver can never reach into a pass.',
  ),
  forbid(
    ['emulator'],
    ['connectors', 'engine', 'store', 'api', 'api-contracts', 'flows', 'webhooks'],
    'emulator/ imports nothing from connectors/, engine/, store/, api/ or flows/: a misunderstanding of the protocol must not pass on both sides.',
  ),
  forbid(
    ['store'],
    ['engine', 'api', 'api-contracts', 'flows', 'webhooks', 'notifications', 'connectors', 'cli'],
    'store/ imports nothing from engine/, api/, flows/, notifications/, connectors/ or cli/: the engine uses the store, not the reverse.',
  ),
  forbid(
    ['connectors'],
    ['engine', 'store', 'api', 'api-contracts', 'flows', 'webhooks', 'cli'],
    'connectors/ imports nothing from engine/, store/, api/, flows/ or cli/: the engine uses the connector, not the reverse.',
  ),
  ...only(
    'web',
    [{ element: { types: { anyOf: ['web', 'api-contracts'] } } }],
    'web/ imports from src/ only the API contracts (src/api/contracts/**).',
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'web/dist/', 'coverage/', 'bench-results*', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself tracks.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after'],
              package: 'node:test',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { boundaries },
    settings: { 'boundaries/elements': elements },
    rules: { 'boundaries/dependencies': ['error', { default: 'allow', policies: boundaryPolicies }] },
  },
  // The admin console (web/, its own tsconfig): the rules of hooks and React's render-purity checks.
  { files: ['web/**/*.{ts,tsx}'], ...reactHooks.configs.flat.recommended },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
