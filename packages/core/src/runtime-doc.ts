/** docs/runtime.md's tables: the runtime options (generated with z.toJSONSchema from RuntimeOptionsSchema) and the
 * CFM_* variables read elsewhere (each parsed in the one place named, or used only by tests, benches or setup). */
import { z } from 'zod';
import { RuntimeOptionsSchema } from './runtime';

export type OtherKind = 'storage' | 'worker' | 'diagnostic' | 'test' | 'bench' | 'setup';

export interface OtherVariable {
  name: string;
  kind: OtherKind;
  readBy: string;
  description: string;
}

/** CFM_* variables that are not runtime options, with the reason in `kind`:
 * storage: parsed in one place by @cfm/storage from an environment it is given (tests build one for a child server);
 * worker: the worker app's flag-or-env settings (the flag wins), parsed where the flag is;
 * diagnostic: read raw where an error is printed (the error may be a bad runtime option) or by native code;
 * test / bench / setup: read only by tests, benchmark scripts or the provisioning shell scripts. */
export const OTHER_VARIABLES: OtherVariable[] = [
  {
    name: 'CFM_S3_ENDPOINT',
    kind: 'storage',
    readBy: '@cfm/storage s3SettingsFromEnv',
    description: 'http(s)://host:port of an S3-compatible server; unset: AWS (docs/storage.md)',
  },
  {
    name: 'CFM_S3_PATH_STYLE',
    kind: 'storage',
    readBy: '@cfm/storage s3SettingsFromEnv',
    description: '1 / 0: path-style addressing (default: on with an endpoint)',
  },
  { name: 'CFM_S3_PART_MB', kind: 'storage', readBy: '@cfm/storage s3SettingsFromEnv', description: 'multipart part size in MiB (16)' },
  {
    name: 'CFM_S3_CONCURRENCY',
    kind: 'storage',
    readBy: '@cfm/storage s3SettingsFromEnv',
    description: 'parallel part and object transfers (4)',
  },
  {
    name: 'CFM_HEALTH_PORT',
    kind: 'worker',
    readBy: 'apps/worker health.ts (--health-port)',
    description: 'serve /healthz and /readyz on this port (docs/deploy.md)',
  },
  {
    name: 'CFM_EXIT_WHEN_IDLE',
    kind: 'worker',
    readBy: 'apps/worker idle.ts (--exit-when-idle)',
    description: 'exit 0 after this many seconds with no activity in flight',
  },
  { name: 'CFM_WORKFLOW_BUNDLE', kind: 'worker', readBy: 'apps/worker main.ts (--bundle)', description: 'prebuilt workflow bundle' },
  {
    name: 'CFM_DEBUG',
    kind: 'diagnostic',
    readBy: 'apps/cli, apps/scheduler error handlers',
    description: 'when set: print the stack of an unexpected error',
  },
  {
    name: 'CFM_KERNEL_TIMING',
    kind: 'diagnostic',
    readBy: 'native kernels (block.h)',
    description: 'when set: per-phase milliseconds of the fused block on stderr',
  },
  {
    name: 'CFM_TEST_BACKEND',
    kind: 'test',
    readBy: '@cfm/tensor/testing initTestBackend, scripts/test.sh',
    description: 'backend of the unit tests (wasm; npm test picks tensorflow when it loads)',
  },
  {
    name: 'CFM_REQUIRE_NATIVE',
    kind: 'test',
    readBy: '@cfm/tensor backend.test.ts',
    description: '1: a missing native backend fails the test instead of skipping it',
  },
  { name: 'CFM_TEST_PARALLEL', kind: 'test', readBy: 'scripts/test.sh', description: 'nx parallel tasks (2)' },
  { name: 'CFM_PG_BIN', kind: 'test', readBy: '@cfm/registry testing-postgres.ts', description: 'folder with initdb, pg_ctl and postgres' },
  { name: 'CFM_WEED_BIN', kind: 'test', readBy: '@cfm/storage testing.ts', description: 'the SeaweedFS weed binary' },
  { name: 'CFM_IT_DEBUG', kind: 'test', readBy: 'apps/worker integration tests', description: "when set: print the workers' output" },
  {
    name: 'CFM_RECORD_HISTORIES',
    kind: 'test',
    readBy: 'apps/worker test harness',
    description: 'when set: record workflow histories for the replay test',
  },
  { name: 'CFM_KEEP_TEST_DIR', kind: 'test', readBy: '@cfm/data sharded.test.ts', description: 'when set: keep and print the test folder' },
  { name: 'CFM_BENCH_DIR', kind: 'bench', readBy: 'scripts/bench/data.ts', description: 'folder of the data bench files' },
  { name: 'CFM_PREPARED_ML1M', kind: 'bench', readBy: 'scripts/bench/shopperbert.ts', description: 'a prepared ML-1M folder to reuse' },
  { name: 'CFM_SB_SIZE', kind: 'bench', readBy: 'scripts/bench/shopperbert.ts', description: 'small: the short ShopperBERT bench' },
  { name: 'CFM_SB_PRETRAIN_EPOCHS', kind: 'bench', readBy: 'scripts/bench/shopperbert.ts', description: 'pre-training epochs' },
  { name: 'CFM_SB_REPEATS', kind: 'bench', readBy: 'scripts/bench/shopperbert.ts', description: 'repeats of each downstream task' },
  { name: 'CFM_SB_PTRANS_REPEATS', kind: 'bench', readBy: 'scripts/bench/shopperbert.ts', description: 'repeats of the P-Trans tasks' },
  {
    name: 'CFM_NATIVE_MARCH',
    kind: 'setup',
    readBy: 'infra/native-kernels/provision.sh',
    description: 'g++ -march of the native kernels (native; images x86-64-v3)',
  },
  {
    name: 'CFM_TFJS_NATIVE_SOURCE',
    kind: 'setup',
    readBy: 'infra/tfjs-native/provision.sh',
    description: 'where the TensorFlow library comes from (auto: see the script)',
  },
  {
    name: 'CFM_TFJS_NATIVE_COPY',
    kind: 'setup',
    readBy: 'infra/tfjs-native/provision.sh',
    description: '1: copy the libraries into node_modules instead of linking the cache',
  },
  {
    name: 'CFM_NPM_VERSION',
    kind: 'setup',
    readBy: 'infra/docker/provision-image.sh',
    description: 'npm an image installs when its Node brings an older one',
  },
  { name: 'CFM_IMAGE_STEPS', kind: 'setup', readBy: 'infra/docker/provision-image.sh', description: 'the provisioning steps to run' },
  { name: 'CFM_IMAGE_CHECK_STATIC', kind: 'setup', readBy: 'infra/docker/ci-check.sh', description: '1: only the static check' },
  {
    name: 'CFM_DOCKER_DIR',
    kind: 'setup',
    readBy: 'infra/docker/ci-check.sh',
    description: 'the Dockerfiles to check (tests point it at altered copies)',
  },
  { name: 'CFM_KEEP_SCRATCH', kind: 'setup', readBy: 'infra/docker/ci-check.sh', description: '1: keep the scratch tree' },
];

interface Property {
  type?: string;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  description?: string;
  values?: string;
  usedBy?: string;
  defaultText?: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function values(p: Property): string {
  if (p.enum) return p.enum.join(', ');
  if (p.type === 'boolean') return '1 / 0';
  if (p.type === 'integer') return `integer ≥ ${p.minimum ?? 0}`;
  return p.values ?? p.type ?? '';
}

function defaultOf(p: Property): string {
  if (p.defaultText) return p.defaultText;
  if (p.default === undefined) return '—';
  if (typeof p.default === 'boolean') return p.default ? '1' : '0';
  return String(p.default);
}

/** the runtime options as a markdown table, one row per variable in the schema's order */
export function runtimeOptionsTable(): string {
  const schema = z.toJSONSchema(RuntimeOptionsSchema, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, Property> };
  const rows = Object.entries(schema.properties).map(
    ([name, p]) => `| \`${name}\` | ${cell(values(p))} | ${cell(defaultOf(p))} | ${cell(p.usedBy ?? '')} | ${cell(p.description ?? '')} |`,
  );
  return ['| variable | values | default | read by | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** the variables read elsewhere as a markdown table */
export function otherVariablesTable(): string {
  const rows = OTHER_VARIABLES.map((v) => `| \`${v.name}\` | ${v.kind} | ${cell(v.readBy)} | ${cell(v.description)} |`);
  return ['| variable | kind | read by | description |', '|---|---|---|---|', ...rows].join('\n');
}

/** `page` with the text between each pair of markers (`<!-- runtime-options -->` … `<!-- /runtime-options -->`,
 * `<!-- other-variables -->` … `<!-- /other-variables -->`) replaced by the generated table */
export function fillRuntimeDoc(page: string): string {
  const fill = (text: string, marker: string, table: string) =>
    text.replace(
      new RegExp(`(<!-- ${marker} -->\\n)[\\s\\S]*?(<!-- /${marker} -->)`),
      (_, open: string, close: string) => `${open}${table}\n${close}`,
    );
  return fill(fill(page, 'runtime-options', runtimeOptionsTable()), 'other-variables', otherVariablesTable());
}
