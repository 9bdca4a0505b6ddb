import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CfmError } from '@cfm/core';
import type { RunSpec } from '@cfm/contracts';

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
    name: z.string().min(1).describe("adapter name, e.g. 's3rec-beauty', 'movielens-100k'"),
    maxCustomers: z.int().positive().optional().describe('keep a deterministic subset of customers'),
  }),
  z.strictObject({ source: z.literal('files'), path: z.string().min(1).describe('folder of contract files') }),
]);

const Split = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('temporal'), validFrom: isoDate.optional(), testFrom: isoDate.optional() })
    .refine((s) => !s.validFrom || !s.testFrom || s.validFrom < s.testFrom, { message: 'validFrom must be before testFrom', path: ['testFrom'] }),
  z.strictObject({ kind: z.literal('loo') }),
  z.strictObject({ kind: z.literal('customer') }),
]);

const Family = z.strictObject({
  name: z.string().min(1).describe("registry name, e.g. 'bert4rec'"),
  config: z.record(z.string(), z.unknown()).default({}).describe("the family's own config (checked by its zod schema)"),
  epochs: z.int().min(1).max(10_000).default(1),
  checkpointEvery: z.int().min(1).default(50).describe('optimizer steps between checkpoints'),
});

/** run.yaml: every key documented; unknown keys are errors. */
export const RunConfig = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, 'letters, digits, . _ - only').describe('run name; outputs go to workDir'),
  seed: z.int().default(42),
  workDir: z.string().optional().describe('default runs/<name>, relative to the config file'),
  dataDir: z.string().optional().describe('public datasets; default CFM_DATA_DIR or ../shared/datasets'),
  dataset: Dataset,
  split: Split.default({ kind: 'temporal' }),
  maxLen: z.int().min(2).max(4096).default(50).describe('max sequence length per customer'),
  families: z.array(Family).min(1, 'at least one family to train'),
  evaluate: z.strictObject({
    protocol: z.enum(['full', 'sampled']).default('full'),
    negatives: z.int().min(1).default(100),
    sampling: z.enum(['uniform', 'popularity']).default('uniform'),
    ks: z.array(z.int().min(1)).min(1).default([10]),
    excludeHistory: z.boolean().default(true),
  }).default({ protocol: 'full', negatives: 100, sampling: 'uniform', ks: [10], excludeHistory: true }),
  benchmarks: z.array(z.string()).default([]),
  gate: z.strictObject({ metric: z.string().default('ndcg@10'), minDelta: z.number().default(0) }).default({ metric: 'ndcg@10', minDelta: 0 }),
  export: z.strictObject({ topK: z.int().min(1).max(1000).default(10) }).default({ topK: 10 }),
  promote: z.boolean().default(true),
});
export type RunConfig = z.input<typeof RunConfig>;

/** Validates a parsed config object; `file` names the source in errors. Paths resolve against `baseDir`. */
export function resolveRunConfig(raw: unknown, opts: { file?: string; baseDir?: string; env?: NodeJS.ProcessEnv } = {}): RunSpec {
  const r = RunConfig.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path, ...(keys.length === 1 ? keys : [])].join('.');
    const msg = issue.code === 'unrecognized_keys' ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    throw new CfmError('CFM_E_CONFIG', msg, { file: opts.file, field: path || undefined });
  }
  const c = r.data;
  const base = opts.baseDir ?? process.cwd();
  const env = opts.env ?? process.env;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const repoRoot = resolve(__dirname, '..', '..', '..');
  const dataset = c.dataset.source === 'files' ? { ...c.dataset, path: abs(c.dataset.path) } : c.dataset;
  return {
    ...c,
    dataset,
    workDir: c.workDir ? abs(c.workDir) : resolve(base, 'runs', c.name),
    dataDir: c.dataDir ? abs(c.dataDir) : env.CFM_DATA_DIR ? resolve(env.CFM_DATA_DIR) : resolve(repoRoot, '..', 'shared', 'datasets'),
  };
}

/** Reads and validates run.yaml. Relative paths in it resolve against the current directory. */
export function loadRunConfig(file: string, overrides: Record<string, unknown> = {}): RunSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot read run config: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new CfmError('CFM_E_CONFIG', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file, row: line });
  }
  if (!raw || typeof raw !== 'object') throw new CfmError('CFM_E_CONFIG', 'expected a mapping at the top level', { file });
  return resolveRunConfig({ ...(raw as object), ...overrides }, { file });
}
