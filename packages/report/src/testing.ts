/** Hand-made model folders and workDirs in the pipeline's layout (docs/report.md), for tests of the
 * report: small JSON files, a tiny artifact with its manifest, and an embeddings Parquet file. */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createRng, sha256 } from '@cfm/core';
import type { BenchmarkOutput, CompareOutput, EvaluateOutput, ExportOutput, PromoteOutput } from '@cfm/contracts';
import type { ExpertsFile, RunJson, SummaryJson, TrainJson } from './layout';
import { artifactHashOf } from './verify';

const json = (file: string, value: unknown) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 1));
};

/** Prepared data as far as the report reads it: manifest.json (hasUsers) and users.json. */
export function writeFixturePrepared(dir: string, customers: number, withUsers: boolean): void {
  json(join(dir, 'manifest.json'), {
    dataset: 'fixture-shop',
    split: 'temporal',
    hasUsers: withUsers,
    createdAt: '2024-03-01T00:00:00.000Z',
  });
  if (!withUsers) return;
  // zip has a value per customer (too many to colour by); gender follows the embedding's group
  json(
    join(dir, 'users.json'),
    Object.fromEntries(Array.from({ length: customers }, (_, i) => [`c${i}`, { zip: `z${i}`, gender: ['F', 'M', 'X'][i % 3] }])),
  );
}

/** `customers` vectors in three separated groups (group = i % 3), the columns @cfm/export writes. */
export async function writeFixtureEmbeddings(file: string, customers: number, family: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    await con.run(`COPY (SELECT 'c' || i AS customer_id, DATE '2024-03-01' AS as_of, '${family}' AS family, 'v1' AS model_version,
      list_transform(range(16), j -> ((i % 3) * 4.0 + ((hash(i * 31 + j) % 1000) / 1000.0))::FLOAT) AS vector
      FROM range(${customers}) t(i)) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

/** A tiny artifact: a few files and manifest.json with the sha256 of each. */
export function writeFixtureArtifact(dir: string, family: string, seed: number): void {
  const rng = createRng(seed);
  mkdirSync(join(dir, 'weights'), { recursive: true });
  writeFileSync(
    join(dir, 'weights', 'weights.bin'),
    Uint8Array.from({ length: 256 }, () => Math.floor(rng.next() * 256)),
  );
  json(join(dir, 'weights', 'model.json'), {
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'emb', shape: [16, 4], dtype: 'float32' }] }],
  });
  json(join(dir, 'dims.json'), { items: 40, dim: 16 });
  const files: Record<string, string> = {};
  const walk = (d: string) =>
    readdirSync(d)
      .sort()
      .forEach((n) => {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else files[relative(dir, p).split(sep).join('/')] = sha256(readFileSync(p));
      });
  walk(dir);
  json(join(dir, 'manifest.json'), {
    family,
    config: { dim: 16, maxLen: 20, seed },
    configHash: 'c0ffee0123456789',
    vocabHash: 'feed0123456789ab',
    seed,
    files,
    createdAt: '2024-03-01T00:00:00.000Z',
  });
}

export interface FixtureModel {
  family: string;
  name: string;
  seed: number;
  /** relative to the model folder, or absolute */
  preparedDir: string;
  customers?: number;
  experts?: boolean;
}

/** A complete model folder: every file the pipeline steps write. Numbers depend on the seed. */
export async function writeFixtureModel(dir: string, f: FixtureModel): Promise<void> {
  const rng = createRng(f.seed * 7 + f.family.length * 101 + 1);
  const jitter = (x: number) => x * (0.9 + 0.2 * rng.next());
  const run: RunJson = {
    runId: `fixture-${f.family}-s${f.seed}`,
    family: f.family,
    name: f.name,
    seed: f.seed,
    dataset: 'fixture-shop',
    dataHash: 'da7a0123456789ab',
    preparedDir: f.preparedDir,
    split: 'temporal (valid from 2024-02-18, test from 2024-02-24)',
    config: { dim: 16, maxLen: 20, epochs: 4, seed: f.seed },
    configHash: 'c0ffee0123456789',
    preset: null,
    artifactHash: '',
    backend: 'tensorflow',
    codeVersion: '0123456789abcdef',
    createdAt: '2024-03-01T00:00:00.000Z',
  };
  writeFixtureArtifact(join(dir, 'model'), f.name, f.seed);
  json(join(dir, 'run.json'), {
    ...run,
    artifactHash: artifactHashOf(JSON.parse(readFileSync(join(dir, 'model', 'manifest.json'), 'utf8'))),
  });
  const train: TrainJson = {
    steps: 40,
    epochs: 4,
    resumedFromStep: 0,
    finalLoss: 2.1,
    seconds: jitter(12),
    seqPerSec: jitter(850),
    backend: 'tensorflow',
    history: [1, 2, 3, 4].map((e) => ({ epoch: e, loss: 8 / e, metric: jitter(0.01 * e), seconds: 3 })),
    trace: Array.from({ length: 40 }, (_, s) => ({ step: s + 1, epoch: Math.floor(s / 10) + 1, loss: 8 / (1 + s / 10) })),
  };
  json(join(dir, 'train.json'), train);
  const sampledSeeds = [1, 2, 3].map(() => ({ 'hr@10': jitter(0.3), 'ndcg@10': jitter(0.18) }));
  const evaluation: Omit<EvaluateOutput, 'cached'> = {
    family: f.family,
    split: 'temporal (2024-02-18 / 2024-02-24), test',
    seconds: jitter(3),
    results: [
      {
        label: 'full',
        protocol: 'temporal split, test, full ranking of 40 items, history excluded',
        metrics: { 'hr@10': jitter(0.05), 'ndcg@10': jitter(0.025) },
        std: {},
        perSeed: [],
        seeds: [],
      },
      {
        label: 'sampled-uniform-99',
        protocol: 'temporal split, test, target among 99 uniform negatives, 3 seeds',
        metrics: {
          'hr@10': sampledSeeds.reduce((a, s) => a + s['hr@10'], 0) / 3,
          'ndcg@10': sampledSeeds.reduce((a, s) => a + s['ndcg@10'], 0) / 3,
        },
        std: { 'hr@10': 0.01, 'ndcg@10': 0.006 },
        perSeed: sampledSeeds,
        seeds: [1, 2, 3],
      },
    ],
  };
  json(join(dir, 'eval.json'), evaluation);
  const benchmarks: Omit<BenchmarkOutput, 'cached'> = {
    family: f.family,
    seconds: jitter(5),
    results: [
      {
        task: 'label-gender',
        kind: 'label',
        rule: 'gender = F is 1, other values 0',
        examples: 300,
        split: { train: 210, valid: 45, test: 45 },
        repeats: 3,
        rows: [
          { model: 'u-mlp', metrics: { auroc: jitter(0.7), f1: jitter(0.5) }, std: { auroc: 0.02, f1: 0.03 } },
          { model: 'xgboost', metrics: { auroc: jitter(0.68), f1: jitter(0.48) }, std: { auroc: 0.025, f1: 0.02 } },
        ],
      },
      {
        task: 'finetune-gender',
        kind: 'finetune',
        rule: 'gender = F is 1, other values 0',
        examples: 300,
        split: { train: 210, valid: 45, test: 45 },
        repeats: 2,
        rows: [
          {
            model: 'fine-tuned',
            metrics: { auroc: jitter(0.74) },
            std: { auroc: 0.01 },
            cost: { msPerBatch: 41.5, parameters: 52_000, trainSeconds: 9.5 },
          },
          {
            model: 'frozen',
            metrics: { auroc: jitter(0.7) },
            std: { auroc: 0.012 },
            cost: { msPerBatch: 6.2, parameters: 1_100, trainSeconds: 1.2 },
          },
        ],
      },
    ],
  };
  json(join(dir, 'benchmarks.json'), benchmarks);
  const customers = f.customers ?? 300;
  await writeFixtureEmbeddings(join(dir, 'exports', 'embeddings.parquet'), customers, f.name);
  const exported: Omit<ExportOutput, 'cached'> = {
    family: f.family,
    files: [join(dir, 'exports', 'embeddings.parquet'), join(dir, 'exports', 'topk.parquet')],
    rows: { embeddings: customers, topk: customers * 10 },
    tasks: ['item', 'category1'],
    seconds: jitter(1.5),
  };
  json(join(dir, 'export.json'), exported);
  const challenger = evaluation.results[0].metrics['ndcg@10'];
  const gate: CompareOutput = {
    family: f.family,
    metric: 'ndcg@10',
    challenger,
    champion: 0.02,
    passed: challenger > 0.02,
    reason: `ndcg@10 ${challenger.toFixed(4)} vs champion 0.0200 (min delta 0)`,
    benchmarks: [{ result: 'label-gender/u-mlp/auroc', value: benchmarks.results[0].rows[0].metrics.auroc, min: 0.6, passed: true }],
    championArtifact: null,
  };
  json(join(dir, 'gate.json'), gate);
  const promote: PromoteOutput = {
    family: f.family,
    promoted: gate.passed,
    championDir: join(dir, '..', '..', 'champions', f.family),
    reason: 'run fixture',
  };
  json(join(dir, 'promote.json'), promote);
  if (f.experts)
    json(join(dir, 'experts.json'), {
      tasks: ['item', 'category1'],
      experts: 3,
      weights: [
        [0.6, 0.3, 0.1],
        [0.2, 0.2, 0.6],
      ],
    } satisfies ExpertsFile);
}

/** A whole run: summary.json, prepared/<hash>/ and models/<id>-s<seed>-<key>/ for each model. */
export async function writeFixtureRun(
  workDir: string,
  models: Array<Omit<FixtureModel, 'preparedDir'>>,
  opts: { withUsers?: boolean } = {},
): Promise<SummaryJson> {
  const prepared = join(workDir, 'prepared', 'da7a0123');
  writeFixturePrepared(prepared, 300, opts.withUsers ?? true);
  const entries: SummaryJson['models'] = [];
  for (const m of models) {
    const key = sha256(`${m.family}-${m.seed}`).slice(0, 6);
    const runDir = join(workDir, 'models', `${m.family}-s${m.seed}-${key}`);
    await writeFixtureModel(runDir, { ...m, preparedDir: prepared });
    entries.push({ key, family: m.family, name: m.name, seed: m.seed, runDir });
  }
  const summary: SummaryJson = {
    runName: 'fixture-run',
    createdAt: '2024-03-01T00:00:00.000Z',
    seconds: 95.5,
    commit: '0123456789abcdef0123',
    machine: { cpus: 2, cpuModel: 'Fixture CPU', memGiB: 7.8, loadavgStart: [0.5, 0.4, 0.3], loadavgEnd: [1.9, 1.1, 0.6] },
    backend: 'tensorflow',
    spec: { datasetName: 'fixture-shop' },
    models: entries,
    targets: [{ family: 'bert4rec', from: 'evaluate:1', metric: 'ndcg@10', min: 0.15, reached: 0.18, passed: true }],
  };
  json(join(workDir, 'summary.json'), summary);
  return summary;
}
