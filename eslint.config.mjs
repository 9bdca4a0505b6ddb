// ESLint for the whole workspace (flat config). Every Nx project's `lint` target runs `eslint <projectRoot>`
// (nx.json targetDefaults); docs/conventions.md "Lint" describes the rules.
import nx from '@nx/eslint-plugin';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md): the `type:*` tag in each package's package.json "nx" field (or project.json)
// says which layer a project is in. A project may import only the @cfm packages of the layers listed here
// (onlyDependOnLibsWithTags) and never the third-party modules listed (bannedExternalImports). Type-only imports count.
const layers = {
  core: { allow: [], ban: ['@tensorflow/*', '@temporalio/*', '@duckdb/*', 'apache-arrow*'] },
  pure: { allow: ['core'], ban: ['@tensorflow/*', '@temporalio/*', '@duckdb/*'] },
  // data prep and sources: @cfm/data, datasets, simulator
  data: { allow: ['core', 'pure', 'data', 'contracts'], ban: ['@tensorflow/*', '@temporalio/*'] }, // contracts: types only
  storage: { allow: ['core'], ban: ['@tensorflow/*', '@temporalio/*'] }, // files and objects by URI
  gbdt: { allow: ['core', 'pure'], ban: ['@tensorflow/*', '@temporalio/*', '@duckdb/*'] }, // XGBoost baselines
  report: { allow: ['core', 'pure', 'data', 'contracts'], ban: ['@tensorflow/*', '@temporalio/*'] }, // contracts: types only
  tensor: { allow: ['core', 'pure'], ban: ['@temporalio/*'] },
  model: { allow: ['core', 'pure', 'tensor', 'data', 'gbdt', 'model', 'contracts'], ban: ['@temporalio/*'] }, // contracts: types only
  registry: { allow: ['core', 'pure', 'model'], ban: ['@tensorflow/*', '@temporalio/*'] }, // model: @cfm/export's artifact check
  pipeline: {
    allow: ['core', 'pure', 'data', 'storage', 'gbdt', 'report', 'tensor', 'model', 'registry', 'contracts', 'pipeline'],
    ban: [],
  },
  contracts: { allow: ['core'], ban: ['@tensorflow/*', '@duckdb/*', '@temporalio/(?!workflow$|common$)*'] },
  workflow: { allow: ['contracts'], ban: ['@tensorflow/*', '@duckdb/*', 'apache-arrow*', '@temporalio/(?!workflow$)*'] },
  // paper experiments (benchmarks/, run by scripts/bench): any library below the apps
  benchmark: {
    allow: ['core', 'pure', 'data', 'storage', 'gbdt', 'report', 'tensor', 'model', 'registry', 'contracts', 'pipeline'],
    ban: [],
  },
  // applications, scripts, end-to-end tests and infrastructure checks may import anything
  app: { allow: ['*'], ban: [] },
  infra: { allow: ['*'], ban: [] },
};
// @cfm/contracts (the run spec and the steps' inputs and outputs; it imports only core) is a layer above data and
// model, but its *types* may be named there: @cfm/downstream takes a BenchmarkSpec, @cfm/report renders the steps'
// outputs. Nx's rule cannot tell a type import from a value import, so those layers list contracts in `layers` above
// and no-restricted-imports (below) keeps every such import type-only: no runtime edge runs up.
const typeOnly = { data: ['@cfm/contracts'], report: ['@cfm/contracts'], model: ['@cfm/contracts'] };
// each project's folder by layer: the "nx" tags of the workspaces' package.json (scripts, e2e and infra are app / infra)
const projectsByLayer = {};
const readJson = (file) => JSON.parse(readFileSync(join(import.meta.dirname, file), 'utf8'));
for (const pattern of readJson('package.json').workspaces) {
  const dirs = pattern.endsWith('/*')
    ? readdirSync(join(import.meta.dirname, pattern.slice(0, -2))).map((n) => join(pattern.slice(0, -2), n))
    : [pattern];
  for (const dir of dirs.filter((d) => existsSync(join(import.meta.dirname, d, 'package.json')))) {
    const tag = (readJson(join(dir, 'package.json')).nx?.tags ?? []).find((t) => t.startsWith('type:'));
    if (tag) (projectsByLayer[tag.slice(5)] ??= []).push(dir);
  }
}

const constraints = (table) =>
  Object.entries(table).map(([layer, { allow, ban }]) => ({
    sourceTag: `type:${layer}`,
    onlyDependOnLibsWithTags: allow.map((t) => (t === '*' ? '*' : `type:${t}`)),
    bannedExternalImports: ban,
  }));
// vitest.config.ts files share ../vitest.base.ts, which belongs to no project
const boundaries = (table) => ['error', { allow: ['^(\\.\\./)+vitest\\.base$'], depConstraints: constraints(table) }];

// import-x/no-cycle follows relative imports only (cycles between packages are the Nx rule's business): a resolver
// that leaves bare specifiers unresolved keeps the rule inside one package and fast.
const nodeResolver = createNodeResolver({ extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'] });
const relativeOnlyResolver = {
  ...nodeResolver,
  name: 'relative-only',
  resolve: (spec, file) => (spec.startsWith('.') ? nodeResolver.resolve(spec, file) : { found: false }),
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'runs/**',
      '.nx/**',
      'tools/**',
      '**/*.d.ts',
      'infra/tfjs-native/**',
      'infra/native-*/**',
    ],
  },
  // an eslint-disable comment that silences nothing is an error (one naming a rule that does not exist always is)
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    plugins: { '@nx': nx, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [relativeOnlyResolver],
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
    },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(layers),
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The workflow sandbox rule is for workflow code (workflows/src): the bundling script and the tests run in Node
    // and drive the bundler and the replayer (@temporalio/worker, @temporalio/proto).
    files: ['workflows/scripts/**/*.ts', 'workflows/**/*.test.ts', 'workflows/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({
        ...layers,
        workflow: { allow: layers.workflow.allow, ban: ['@tensorflow/*', '@duckdb/*', 'apache-arrow*'] },
      }),
    },
  },
  ...Object.entries(typeOnly)
    .filter(([layer]) => projectsByLayer[layer])
    .map(([layer, names]) => ({
      files: projectsByLayer[layer].map((dir) => `${dir}/**/*.ts`),
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            paths: names.map((name) => ({
              name,
              allowTypeImports: true,
              message: `a "type:${layer}" project may import only types from ${name}`,
            })),
          },
        ],
      },
    })),
);
