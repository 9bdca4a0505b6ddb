/** The process's runtime options: every CFM_* environment variable the library code reads, with its type, default
 * and meaning, parsed once (on first use) into one typed object. A value that does not parse is a CfmError naming
 * the variable. docs/runtime.md is generated from this schema (runtime-doc.ts). */
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CfmError } from './errors';

const ON = ['1', 'true', 'yes', 'on'];
const OFF = ['0', 'false', 'no', 'off'];

const flagValue = (v: unknown) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return ON.includes(s) ? true : OFF.includes(s) ? false : v;
};

/** 1 / 0 (also true / false, yes / no, on / off) */
const flag = (dflt: boolean, usedBy: string, description: string) =>
  z
    .preprocess(flagValue, z.boolean({ error: 'expected 1 or 0' }))
    .default(dflt)
    .meta({ usedBy, description });

/** a whole number >= 1 */
const count = () => z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'expected a number >= 1');

/** free text (a path, a URL, a commit) */
const text = (values: string, usedBy: string, description: string, defaultText?: string) =>
  z
    .string()
    .optional()
    .meta({ values, usedBy, description, ...(defaultText ? { defaultText } : {}) });

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export const RuntimeOptionsSchema = z.object({
  // tensor backend and native CPU kernels (docs/native-tensorflow.md, docs/native-kernels.md)
  CFM_BACKEND: z
    .preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(BACKENDS))
    .default('auto')
    .meta({ usedBy: '@cfm/tensor', description: 'tensor backend; auto: tfjs-node-gpu, else tfjs-node, else wasm, else cpu' }),
  CFM_NATIVE_KERNELS: text(
    'path',
    '@cfm/tensor',
    'the native CPU kernels addon',
    'tools/native-kernels/cfm_kernels.node above @cfm/tensor',
  ),
  CFM_FUSED_CE: flag(true, '@cfm/tensor', 'native linear + softmax cross-entropy of a tied output layer'),
  CFM_FUSED_HEAD: flag(true, '@cfm/tensor', 'native BERT4Rec output side (projection, layer norm, loss); needs CFM_FUSED_CE'),
  CFM_FUSED_BLOCK: flag(true, '@cfm/tensor', 'native post-norm transformer block in training steps'),
  CFM_FUSED_EMBED: flag(true, '@cfm/tensor', 'native embedding side (lookup, positions, layer norm, dropout) in training steps'),
  CFM_HOST_ADAM: flag(true, '@cfm/tensor', 'AdamW step on host arrays in the native addon'),
  CFM_FUSED_CE_THREADS: count()
    .default(2)
    .meta({ usedBy: '@cfm/tensor', description: 'threads of each native kernel call (loss, head, block, embedding)' }),
  CFM_FUSED_CE_CHUNK: count()
    .default(256)
    .meta({ usedBy: '@cfm/tensor', description: 'logit rows the loss and head kernels make at a time' }),
  // data prep (docs/data.md)
  CFM_NATIVE_DATA: text('path', '@cfm/data', 'the native CSV scan addon', 'tools/native-data/cfm_data.node above @cfm/data'),
  CFM_NATIVE_SCAN: flag(true, '@cfm/data', 'read a plain events CSV with the native scan (0: always the DuckDB ingest)'),
  CFM_NATIVE_SCAN_THREADS: count()
    .default(() => Math.max(1, Math.min(8, availableParallelism())))
    .meta({ usedBy: '@cfm/data', description: 'threads of the native scan', defaultText: 'cores, at most 8' }),
  CFM_DEBUG_TIMING: flag(false, '@cfm/data', 'stage timings and a timeline of marks on stderr (the native scan: when set at all)'),
  // where things are
  CFM_DATA_DIR: text('path', '@cfm/datasets', 'the public datasets folder', '../shared/datasets beside the repository'),
  CFM_CACHE_DIR: z
    .string()
    .default(() => join(homedir(), '.cache', 'cfm'))
    .meta({
      values: 'path',
      usedBy: '@cfm/gbdt, infra/*/provision.sh',
      description: 'download and build caches (libxgboost found here)',
      defaultText: '~/.cache/cfm',
    }),
  CFM_XGBOOST_LIB: text(
    'path',
    '@cfm/gbdt',
    'libxgboost to load, the only candidate when set',
    'tools/xgboost, then CFM_CACHE_DIR/xgboost',
  ),
  CFM_SCRATCH_DIR: z
    .string()
    .default(() => join(tmpdir(), 'cfm-scratch'))
    .meta({
      values: 'path',
      usedBy: '@cfm/pipeline',
      description: "this worker's staging folder for an object-store workDir",
      defaultText: '<os tmpdir>/cfm-scratch',
    }),
  CFM_REGISTRY_URL: text(
    'URL or path',
    '@cfm/pipeline',
    'the champion registry shared by every worker (postgres://…); required for an object-store workDir',
    "the workDir's registry.duckdb",
  ),
  CFM_PROGRESS_SECONDS: count().default(10).meta({
    usedBy: '@cfm/core',
    description: 'seconds between progress lines of a long step when stderr is not a terminal (logs, workers, CI)',
  }),
  CFM_CODE_VERSION: text(
    'text',
    '@cfm/export, @cfm/pipeline',
    'the code version recorded with models and reports',
    'the git commit (+dirty)',
  ),
});

export type RuntimeOptions = z.infer<typeof RuntimeOptionsSchema>;
export type RuntimeVariable = keyof RuntimeOptions;

/** The options from an environment: unset and blank variables take their defaults. Throws CfmError (CFM_E_CONFIG,
 * field = the variable) on the first value that does not parse. */
export function parseRuntimeOptions(env: Record<string, string | undefined>): RuntimeOptions {
  const input: Record<string, string> = {};
  for (const name of Object.keys(RuntimeOptionsSchema.shape)) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') input[name] = v;
  }
  const r = RuntimeOptionsSchema.safeParse(input);
  if (r.success) return Object.freeze(r.data);
  const issue = r.error.issues[0];
  const name = String(issue.path[0]);
  throw new CfmError('CFM_E_CONFIG', `${name}=${JSON.stringify(input[name])}: ${issue.message} (docs/runtime.md)`, { field: name });
}

let current: RuntimeOptions | undefined;

/** This process's options, parsed from process.env on the first call and kept. */
export function runtimeOptions(): RuntimeOptions {
  return (current ??= parseRuntimeOptions(process.env));
}

/** Forgets the parsed options, so the next runtimeOptions() reads process.env again (tests that change a variable). */
export function resetRuntimeOptions(): void {
  current = undefined;
}
