/** run.yaml: the schema (every key documented, unknown keys are errors at every depth) and its resolution into
 * a RunSpec (contracts): dataset name, default split, training seeds, and every family's config resolved once
 * by resolveRunConfig (@cfm/models: paper defaults < dataset preset < the file's overrides). */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CfmError } from '@cfm/core';
import type { BenchmarkSpec, DatasetSpec, EvaluateSpec, RunSpec, SplitSpec } from '@cfm/contracts';
import { PrepareConfig } from '@cfm/data';
import { getAdapter } from '@cfm/datasets';
import { resolveRunConfig } from '@cfm/models';
import { isS3Uri } from '@cfm/storage';
import { FineTuneConfig } from '@cfm/tensor';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

const Dataset = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('simulator'),
    customers: z.int().min(10).max(10_000_000).default(400).describe('simulated customers'),
    items: z.int().min(10).max(10_000_000).default(300).describe('simulated catalogue size'),
    days: z.int().min(7).max(3650).default(60).describe('days of activity'),
    startDate: isoDate.default('2024-01-01'),
  }),
  z.strictObject({
    source: z.literal('dataset'),
    name: z.string().min(1).describe("adapter name, e.g. 's3rec-beauty', 'movielens-1m' (cfm datasets)"),
    maxCustomers: z.int().positive().optional().describe('keep a deterministic subset of customers'),
  }),
  z.strictObject({ source: z.literal('files'), path: z.string().min(1).describe('folder of contract files') }),
  z.strictObject({ source: z.literal('prepared'), path: z.string().min(1).describe('folder written by cfm prepare (its own split)') }),
]);

const Split = z.discriminatedUnion('kind', [
  z
    .strictObject({ kind: z.literal('temporal'), validFrom: isoDate.optional(), testFrom: isoDate.optional() })
    .refine((s) => !s.validFrom || !s.testFrom || s.validFrom < s.testFrom, {
      message: 'validFrom must be before testFrom',
      path: ['testFrom'],
    }),
  z.strictObject({ kind: z.literal('loo') }),
  z.strictObject({ kind: z.literal('customer') }),
]);

const maxSeqLenDefault = PrepareConfig.parse({}).maxSeqLen;

const Family = z.strictObject({
  name: z.string().min(1).describe("registry name, e.g. 'bert4rec', 'mcm'"),
  id: z
    .string()
    .regex(/^[\w.+-]+$/, 'letters, digits, . _ + - only')
    .optional()
    .describe('unique name in the run (default: name), e.g. MCM_Single, MP+A'),
  config: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("the family's settings over its paper defaults and dataset preset (epochs, lr, maxLen, ...)"),
  checkpointEvery: z.int().min(1).default(200).describe('optimizer steps between checkpoints'),
});

const Evaluate = z.strictObject({
  protocol: z.enum(['full', 'sampled']).default('full').describe('full: rank every item; sampled: the target among sampled negatives'),
  negatives: z.int().min(1).default(100).describe('sampled negatives per target'),
  sampling: z.enum(['uniform', 'popularity']).default('uniform'),
  ks: z.array(z.int().min(1)).min(1).default([10]).describe('cut-offs of HR / NDCG / ...'),
  excludeHistory: z.boolean().default(true).describe("full ranking: drop the customer's history items"),
  seeds: z.array(z.int().min(0)).min(1).default([0]).describe('negative-sampling seeds (sampled): mean ± std over them'),
  split: z.enum(['test', 'valid']).default('test'),
  task: z
    .string()
    .regex(/^[\w.-]+$/)
    .optional()
    .describe(
      "task head to rank (default the family's first, next item); an attribute head (next-brand, next-category1, ...) ranks that vocabulary against the target item's value, full protocol only; families without it skip the entry",
    ),
});

const share = z.number().positive().lt(1);
const benchBase = {
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, . _ - only')
    .optional()
    .describe('unique in the run (default from the task)'),
  seed: z.int().optional().describe('split and head seed (default: the run seed)'),
  split: z
    .tuple([share, share, share])
    .default([0.8, 0.1, 0.1])
    .describe('train / valid / test shares of the customers')
    .refine((s) => Math.abs(s[0] + s[1] + s[2] - 1) < 1e-6, 'shares must sum to 1'),
  repeats: z.int().min(1).max(100).default(1).describe('independent splits; metrics are mean ± std'),
  epochs: z.int().min(1).max(1000).default(10).describe('head (and fine-tuning) epochs'),
};
const labelRule = {
  field: z.string().min(1).describe('users-table column'),
  positive: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .optional()
    .describe('values that count as 1'),
  threshold: z.number().optional().describe('numeric label: value >= threshold counts as 1'),
};
const Benchmark = z
  .discriminatedUnion('task', [
    z.strictObject({ task: z.literal('label'), ...benchBase, ...labelRule }),
    z.strictObject({
      task: z.literal('targeting'),
      ...benchBase,
      feature: z.string().min(1).default('category1'),
      value: z.string().min(1).default('most-common'),
      window: z.int().min(1).default(5),
    }),
    z.strictObject({ task: z.literal('next-item'), ...benchBase, negatives: z.int().min(1).default(100) }),
    z.strictObject({
      task: z.literal('finetune'),
      ...benchBase,
      ...labelRule,
      epochs: z.int().min(1).max(1000).default(3),
      finetune: z
        .record(z.string(), z.unknown())
        .optional()
        .describe("FineTuneConfig settings (@cfm/tensor) over the benchmark's head; epochs and seed are the task's"),
    }),
  ])
  .superRefine((b, ctx) => {
    if (b.task === 'finetune' && b.finetune) {
      for (const k of ['epochs', 'seed', 'freezeEncoder'])
        if (k in b.finetune)
          ctx.addIssue({ code: 'custom', path: ['finetune', k], message: `${k} is the task's, not a fine-tune setting here` });
      const r = FineTuneConfig.safeParse({ ...b.finetune, epochs: b.epochs });
      for (const issue of r.success ? [] : r.error.issues)
        ctx.addIssue({
          code: 'custom',
          path: ['finetune', ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? issue.keys : [])],
          message: issue.code === 'unrecognized_keys' ? `not a FineTuneConfig setting (${issue.keys.join(', ')})` : issue.message,
        });
    }
    if ((b.task === 'label' || b.task === 'finetune') && (b.positive === undefined) === (b.threshold === undefined))
      ctx.addIssue({ code: 'custom', path: ['positive'], message: 'give exactly one of positive (values) or threshold (numeric)' });
  });

const Target = z.strictObject({
  family: z.string().min(1).describe('family id'),
  from: z.string().regex(/^(evaluate:\d+|benchmark:[\w.-]+\/[\w .+-]+)$/, "'evaluate:<index>' or 'benchmark:<task>/<model>'"),
  metric: z.string().min(1),
  min: z.number(),
  source: z.string().min(1).describe('where the number comes from'),
});

/** run.yaml: every key documented; unknown keys are errors. */
export const RunConfig = z.strictObject({
  name: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, . _ - only')
    .describe('run name; outputs go to workDir'),
  seed: z.int().default(42).describe('seed of data prep and the simulator; the training seed unless `seeds` is given'),
  seeds: z.array(z.int().min(0)).min(1).optional().describe('training seeds: every family trains once per seed'),
  workDir: z
    .string()
    .optional()
    .describe('a folder (default runs/<name>, relative to the current directory) or an object-store URI s3://bucket/prefix'),
  dataDir: z.string().optional().describe("public datasets; default: each worker's CFM_DATA_DIR or ../shared/datasets"),
  dataset: Dataset,
  split: Split.optional().describe("default: the dataset's published protocol (leave-one-out for s3rec / movielens), else temporal"),
  prepare: z
    .strictObject({
      maxSeqLen: z.int().min(2).max(1_000_000).default(maxSeqLenDefault).describe('most recent events kept per customer'),
      shards: z
        .int()
        .min(1)
        .max(1024)
        .default(1)
        .describe('customer-hash shards the prep fans out over (parallel activities; same output)'),
    })
    .default({ maxSeqLen: maxSeqLenDefault, shards: 1 }),
  families: z.array(Family).min(1, 'at least one family to train'),
  evaluate: z
    .union([Evaluate, z.array(Evaluate).min(1)])
    .default(Evaluate.parse({}))
    .describe('one protocol or a list; the gate reads gate.protocol'),
  benchmarks: z.array(Benchmark).default([]),
  gate: z
    .strictObject({
      metric: z.string().default('ndcg@10'),
      protocol: z.int().min(0).default(0).describe('index into evaluate'),
      minDelta: z.number().default(0),
      benchmarks: z
        .array(
          z.strictObject({ result: z.string().regex(/^[\w.-]+\/[\w .+-]+\/[\w@./-]+$/, "'<task>/<model>/<metric>'"), min: z.number() }),
        )
        .default([]),
    })
    .default({ metric: 'ndcg@10', protocol: 0, minDelta: 0, benchmarks: [] }),
  export: z.strictObject({ topK: z.int().min(1).max(1000).default(10) }).default({ topK: 10 }),
  promote: z.boolean().default(true),
  targets: z.array(Target).default([]).describe('published numbers the results page checks'),
});
export type RunConfig = z.input<typeof RunConfig>;

export interface ResolveOptions {
  /** names the source in errors */
  file?: string;
  /** relative paths resolve against it (default: the current directory) */
  baseDir?: string;
}

/** Validates a parsed run.yaml and resolves it into a RunSpec (every family config explicit and frozen). */
export function resolveRunSpec(raw: unknown, opts: ResolveOptions = {}): RunSpec {
  const c = parseRaw(raw, opts.file);
  const base = opts.baseDir ?? process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const dataset: DatasetSpec =
    c.dataset.source === 'files' || c.dataset.source === 'prepared' ? { ...c.dataset, path: abs(c.dataset.path) } : c.dataset;
  // the public datasets: given in the file, or each worker's own (CFM_DATA_DIR, default ../shared/datasets) —
  // the client's machine never freezes its own path into a workflow's arguments
  const dataDir = c.dataDir ? abs(c.dataDir) : undefined;
  const fail = (field: string, msg: string) => new CfmError('CFM_E_CONFIG', msg, { file: opts.file, field });
  const prepared = dataset.source === 'prepared' ? readPreparedManifest(dataset.path) : undefined;
  if (prepared && c.split)
    throw fail('split', `a prepared folder keeps its own split (${prepared.split}); remove "split" or prepare again`);
  const datasetName = prepared?.dataset ?? datasetNameOf(dataset);
  const split: SplitSpec =
    c.split ??
    (prepared ? { kind: prepared.split } : { kind: dataset.source === 'dataset' ? getAdapter(dataset.name).defaultSplit : 'temporal' });
  const maxSeqLen = prepared?.maxSeqLen ?? c.prepare.maxSeqLen;
  const seeds = c.seeds ?? [c.seed];
  if (new Set(seeds).size !== seeds.length) throw fail('seeds', 'a training seed is listed twice');
  const ids = new Set<string>();
  const families = c.families.map((f, i) => {
    const id = f.id ?? f.name;
    if (ids.has(id)) throw fail(`families.${i}.id`, `"${id}" is used twice; give each entry of a family its own id`);
    ids.add(id);
    if ('seed' in f.config)
      throw fail(`families.${i}.config.seed`, 'training seeds are set once for the run: use `seeds:` (or `seed:`) at the top level');
    const r = resolveRunConfig(f.name, datasetName, { ...f.config, seed: seeds[0] }, { field: `families.${i}.config` });
    const maxLen = Number(r.config.maxLen);
    if (maxLen > maxSeqLen) {
      throw fail(
        `families.${i}.config.maxLen`,
        `${f.name} reads ${maxLen} events per customer but the prepared data keeps ${maxSeqLen}${prepared ? " (the prepared folder's maxSeqLen)" : ' (prepare.maxSeqLen)'}`,
      );
    }
    return { id, name: f.name, config: { ...r.config }, preset: r.preset, checkpointEvery: f.checkpointEvery };
  });
  const evaluate: EvaluateSpec[] = (Array.isArray(c.evaluate) ? c.evaluate : [c.evaluate]).map((e) => ({
    ...e,
    seeds: e.protocol === 'full' ? [0] : e.seeds,
  }));
  if (c.gate.protocol >= evaluate.length)
    throw fail('gate.protocol', `index ${c.gate.protocol} but evaluate has ${evaluate.length} protocol(s)`);
  if (evaluate[c.gate.protocol].task)
    throw fail(
      'gate.protocol',
      `evaluate entry ${c.gate.protocol} ranks task ${evaluate[c.gate.protocol].task}: the gate compares next-item ranking (an entry without task)`,
    );
  const benchmarks = c.benchmarks.map((b) => ({ ...b, name: b.name ?? defaultBenchmarkName(b), seed: b.seed ?? c.seed }) as BenchmarkSpec);
  const names = benchmarks.map((b) => b.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) throw fail(`benchmarks.${i}.name`, `"${n}" is used twice`);
  });
  for (const [i, g] of c.gate.benchmarks.entries()) {
    if (!names.includes(g.result.split('/')[0]))
      throw fail(`gate.benchmarks.${i}.result`, `no benchmark named "${g.result.split('/')[0]}" (have: ${names.join(', ') || 'none'})`);
  }
  for (const [i, t] of c.targets.entries()) if (!ids.has(t.family)) throw fail(`targets.${i}.family`, `no family with id "${t.family}"`);
  return {
    name: c.name,
    seed: c.seed,
    seeds,
    dataset,
    datasetName,
    dataDir,
    // an object-store URI (s3://bucket/prefix) stays a URI: every worker resolves it with its own credentials
    workDir: c.workDir ? (isS3Uri(c.workDir) ? c.workDir.replace(/\/+$/, '') : abs(c.workDir)) : resolve(base, 'runs', c.name),
    prepare: { split, maxSeqLen, shards: prepared ? 1 : c.prepare.shards },
    families,
    evaluate,
    benchmarks,
    gate: c.gate,
    export: c.export,
    promote: c.promote,
    targets: c.targets,
  };
}

function parseRaw(raw: unknown, file?: string): z.output<typeof RunConfig> {
  const r = RunConfig.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = [...issue.path, ...(keys.length === 1 ? keys : [])].join('.');
  let msg =
    issue.code === 'unrecognized_keys' ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  if (/^families\.\d+$/.test(issue.path.join('.')) && keys.some((k) => k === 'epochs' || k === 'seed'))
    msg += ' (training settings go under config:, e.g. config: { epochs: 3 }; seeds at the top level)';
  if (issue.path.length === 0 && keys.includes('maxLen'))
    msg += " (a model's maxLen is part of its config: families.N.config.maxLen; the events kept per customer are prepare.maxSeqLen)";
  throw new CfmError('CFM_E_CONFIG', msg, { file, field: path || undefined });
}

function defaultBenchmarkName(b: { task: string; field?: string; feature?: string }): string {
  return b.task === 'label' || b.task === 'finetune' ? `${b.task}-${b.field}` : b.task === 'targeting' ? `targeting-${b.feature}` : b.task;
}

/** The name presets and reports know a dataset by: the adapter name, 'simulator', or the folder's name. */
export function datasetNameOf(d: DatasetSpec): string {
  if (d.source === 'dataset') return d.name;
  if (d.source === 'simulator') return 'simulator';
  return basename(d.path) || d.path;
}

/** What the spec needs of a prepared folder: its dataset name, split and the events kept per customer. */
export function readPreparedManifest(dir: string): {
  dataset: string;
  split: 'temporal' | 'loo' | 'customer';
  maxSeqLen: number;
  dataHash: string;
  configHash: string;
} {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new CfmError('CFM_E_FILE', 'not a prepared data folder (no manifest.json); run cfm prepare first', { file });
  let m: { dataset?: string; split?: string; config?: { maxSeqLen?: number }; dataHash?: string; configHash?: string };
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `not valid JSON (${(e as Error).message})`, { file });
  }
  if (!m.dataset || !m.split || !m.dataHash || !m.configHash || typeof m.config?.maxSeqLen !== 'number')
    throw new CfmError('CFM_E_FILE', 'manifest lacks dataset / split / dataHash / config.maxSeqLen', { file });
  return {
    dataset: m.dataset,
    split: m.split as 'temporal' | 'loo' | 'customer',
    maxSeqLen: m.config.maxSeqLen,
    dataHash: m.dataHash,
    configHash: m.configHash,
  };
}

/** Reads and validates run.yaml. Relative paths in it resolve against the current directory. */
export function loadRunConfig(file: string, opts: Omit<ResolveOptions, 'file'> = {}): RunSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot read run config: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { merge: true }); // '<<: *anchor' merges, for families that share settings
  } catch (e) {
    const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new CfmError('CFM_E_CONFIG', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file, row: line });
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new CfmError('CFM_E_CONFIG', 'expected a mapping at the top level', { file });
  return resolveRunSpec(raw, { ...opts, file });
}
