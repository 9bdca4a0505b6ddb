import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';

/** The run-directory convention the report reads (docs/report.md). Every file is optional. */
export interface RunInfo {
  runId?: string;
  family?: string;
  dataset?: string;
  useCase?: string;
  seed?: number;
  backend?: string;
  createdAt?: string;
  notes?: string;
}
/** history.json: FitReport.history (one entry per epoch), or one entry per step with `step` set */
export type History = Array<{ epoch: number; step?: number; loss: number; metric?: number; seconds?: number }>;
/** metrics.json */
export interface MetricsFile {
  /** how the numbers were computed (describeProtocol of @cfm/eval, or the pipeline's protocol string) */
  protocol: string;
  split?: string;
  metrics: Record<string, number>;
  /** filled by the pipeline from the registry when a champion exists */
  champion?: { label: string; protocol: string; metrics: Record<string, number> };
}
/** compute.json: one row per step */
export type ComputeRows = Array<{ step: string; seconds: number; backend?: string; device?: string; throughput?: number; unit?: string }>;
/** gates.json: MMoE gate weights, weights[task][expert] averaged over customers */
export interface GatesFile {
  tasks: string[];
  experts: number;
  weights: number[][];
}

export interface RunDir {
  dir: string;
  run: RunInfo;
  manifest?: Record<string, unknown>;
  history?: History;
  metrics?: MetricsFile;
  compute?: ComputeRows;
  gates?: GatesFile;
  /** customer id → label name → value */
  labels?: Record<string, Record<string, string | number>>;
  embeddingsFile?: string;
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `not valid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
}

/** Read whatever of the convention is present in `dir` (the model manifest may sit in model/). */
export function readRunDir(dir: string): RunDir {
  if (!existsSync(dir)) throw new CfmError('CFM_E_FILE', 'run directory does not exist', { file: dir });
  const manifest = readJson<Record<string, unknown>>(join(dir, 'manifest.json')) ?? readJson<Record<string, unknown>>(join(dir, 'model', 'manifest.json'));
  const run = readJson<RunInfo>(join(dir, 'run.json')) ?? {};
  const metrics = readJson<MetricsFile>(join(dir, 'metrics.json'));
  if (metrics && (typeof metrics.protocol !== 'string' || typeof metrics.metrics !== 'object')) {
    throw new CfmError('CFM_E_ROW_SCHEMA', 'metrics.json needs "protocol" (string) and "metrics" (object)', { file: join(dir, 'metrics.json'), field: 'protocol' });
  }
  const emb = join(dir, 'embeddings.parquet');
  return {
    dir,
    run: { family: manifest?.family as string | undefined, seed: manifest?.seed as number | undefined, ...run },
    manifest,
    history: readJson<History>(join(dir, 'history.json')),
    metrics,
    compute: readJson<ComputeRows>(join(dir, 'compute.json')),
    gates: readJson<GatesFile>(join(dir, 'gates.json')),
    labels: readJson(join(dir, 'labels.json')),
    embeddingsFile: existsSync(emb) ? emb : undefined,
  };
}

/** Write one JSON file of the convention atomically (temp + rename). */
export function writeRunFile(dir: string, name: 'run.json' | 'history.json' | 'metrics.json' | 'compute.json' | 'gates.json' | 'labels.json', value: unknown): void {
  const file = join(dir, name);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
  renameSync(tmp, file);
}
