/** What the pipeline writes (design of the model folder and the workDir, docs/report.md) and how the
 * report reads it. Every file is optional: a section whose file is absent says which command writes it. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { CfmError } from '@cfm/core';
import type { BenchmarkOutput, CompareOutput, EvaluateOutput, ExportOutput, PromoteOutput, RunSpec } from '@cfm/contracts';

/** run.json of a model folder, written when the model is trained. */
export interface RunJson {
  runId?: string;
  /** the family id in the run (e.g. 'bert4rec', 'mcm-small') */
  family?: string;
  /** the registry name (e.g. 'bert4rec') */
  name?: string;
  seed?: number;
  dataset?: string;
  dataHash?: string;
  preparedDir?: string;
  /** the real split */
  split?: string;
  /** the resolved, explicit config */
  config?: Record<string, unknown>;
  configHash?: string;
  preset?: string | null;
  artifactHash?: string;
  backend?: string;
  codeVersion?: string;
  createdAt?: string;
}

/** train.json: the training step's record. */
export interface TrainJson {
  steps: number;
  epochs: number;
  resumedFromStep: number;
  finalLoss: number;
  seconds: number;
  seqPerSec?: number;
  backend?: string;
  history: Array<{ epoch: number; loss: number; metric?: number; seconds?: number }>;
  /** per optimizer step (capped at ~2000 points) */
  trace?: Array<{ step: number; epoch: number; loss: number }>;
}

/** experts.json: MMoE gate weights, weights[task][expert] averaged over customers. */
export interface ExpertsFile {
  tasks: string[];
  experts: number;
  weights: number[][];
}

/** summary.json of a workDir (a whole run). */
export interface SummaryJson {
  runName: string;
  createdAt?: string;
  seconds?: number;
  commit?: string;
  finishedAt?: string;
  /** load averages (1, 5, 15 min) at the start and end of the run, or `loadavg` once */
  machine?: { cpus?: number; cpuModel?: string; memGiB?: number; loadavgStart?: number[]; loadavgEnd?: number[]; loadavg?: number[] };
  backend?: string;
  spec?: Partial<RunSpec>;
  models: Array<{ key: string; family: string; name: string; seed: number; runDir: string }>;
  /** published numbers a suite is checked against, with what the run reached */
  targets?: Array<Record<string, unknown>>;
}

type Without<T> = Omit<T, 'cached'>;

/** Everything the report reads from one model folder. */
export interface ModelFolder {
  dir: string;
  /** the folder's name, e.g. 'bert4rec-s1-3fa2' */
  key: string;
  run?: RunJson;
  train?: TrainJson;
  evaluation?: Without<EvaluateOutput>;
  benchmarks?: Without<BenchmarkOutput>;
  exported?: Without<ExportOutput>;
  gate?: CompareOutput;
  promote?: PromoteOutput;
  experts?: ExpertsFile;
  /** exports/embeddings.parquet when present */
  embeddingsFile?: string;
  /** model/ (the artifact) when present */
  modelDir?: string;
}

/** Which file feeds a section and which command writes it: the text a section shows when it is absent. */
export const SOURCES = {
  run: 'no run.json: written when the model is trained (`cfm train` or `cfm run`)',
  train: 'no train.json: written by the train step (`cfm train` or `cfm run`)',
  evaluation: 'no eval.json: written by the evaluate step (`cfm eval <runDir>` or `cfm run`)',
  benchmarks: 'no benchmarks.json: declare `benchmarks:` in run.yaml (`cfm run`)',
  embeddings: 'no exports/embeddings.parquet: written by the export step (`cfm run`)',
  gate: 'no gate.json: written by the compare step (`cfm run`)',
  config: 'no run.json with a config: written when the model is trained (`cfm train` or `cfm run`)',
  artifact: 'no model/manifest.json: the artifact is written by the train step (`cfm train` or `cfm run`)',
} as const;

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `not valid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
}

const need = (ok: boolean, file: string, field: string, what: string) => {
  if (!ok) throw new CfmError('CFM_E_ROW_SCHEMA', `${basename(file)} needs ${what}`, { file, field });
};

/** Read whatever the pipeline wrote into a model folder. */
export function readModelFolder(dir: string): ModelFolder {
  const f = (name: string) => join(dir, name);
  const evaluation = readJson<ModelFolder['evaluation']>(f('eval.json'));
  if (evaluation) {
    need(Array.isArray(evaluation.results), f('eval.json'), 'results', '"results" (an array of protocol results)');
    evaluation.results.forEach((r, i) =>
      need(
        typeof r.protocol === 'string' && typeof r.metrics === 'object',
        f('eval.json'),
        `results[${i}].protocol`,
        '"protocol" (string) and "metrics" (object) in every result',
      ),
    );
  }
  const benchmarks = readJson<ModelFolder['benchmarks']>(f('benchmarks.json'));
  if (benchmarks) need(Array.isArray(benchmarks.results), f('benchmarks.json'), 'results', '"results" (an array of task results)');
  const train = readJson<TrainJson>(f('train.json'));
  if (train) need(Array.isArray(train.history), f('train.json'), 'history', '"history" (an array of epochs)');
  const emb = f(join('exports', 'embeddings.parquet'));
  return {
    dir,
    key: basename(resolve(dir)),
    run: readJson<RunJson>(f('run.json')),
    train,
    evaluation,
    benchmarks,
    exported: readJson<ModelFolder['exported']>(f('export.json')),
    gate: readJson<CompareOutput>(f('gate.json')),
    promote: readJson<PromoteOutput>(f('promote.json')),
    experts: readJson<ExpertsFile>(f('experts.json')),
    embeddingsFile: existsSync(emb) ? emb : undefined,
    modelDir: existsSync(f('model')) ? f('model') : undefined,
  };
}

export const isWorkDir = (dir: string) => existsSync(join(dir, 'summary.json'));
export const isModelFolder = (dir: string) => existsSync(join(dir, 'run.json')) || existsSync(join(dir, 'model'));

/** summary.json of a workDir, with each model's folder found (the path as written, or
 * <workDir>/models/<name> when the workDir was moved). */
export function readSummary(workDir: string): { summary: SummaryJson; runDirs: string[] } {
  const file = join(workDir, 'summary.json');
  const summary = readJson<SummaryJson>(file)!;
  need(typeof summary.runName === 'string', file, 'runName', '"runName" (string)');
  need(Array.isArray(summary.models), file, 'models', '"models" (an array of model folders)');
  const runDirs = summary.models.map((m) => {
    const candidates = isAbsolute(m.runDir) ? [m.runDir] : [resolve(workDir, m.runDir), resolve(m.runDir)];
    candidates.push(join(workDir, 'models', basename(m.runDir)));
    return candidates.find((c) => existsSync(c)) ?? candidates[0];
  });
  return { summary, runDirs };
}
