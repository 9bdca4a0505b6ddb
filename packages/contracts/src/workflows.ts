import type {
  BenchmarkOutput,
  BenchmarkSpec,
  CompareOutput,
  EvaluateOutput,
  EvaluateSpec,
  ExportOutput,
  PartitionOutput,
  PromoteOutput,
  ReportOutput,
  TrainOutput,
  TrainProgress,
} from './activities';
import { runModels } from './plan';
import type { NodeStatus, PlanResults } from './plan';
import type { RunSpec } from './run-spec';

/** Workflow names, inputs, results and message names (the scheduler and the worker share them). */
export const WORKFLOWS = {
  retrain: 'retrainWorkflow',
  backfill: 'backfillWorkflow',
  benchmark: 'benchmarkWorkflow',
  partition: 'partitionWorkflow',
} as const;
export const QUERIES = { progress: 'progress' } as const;

export interface RetrainInput {
  spec: RunSpec;
}
export interface RetrainResult {
  runName: string;
  nodes: Record<string, NodeStatus>;
  /** keyed by model key (family id, '@s<seed>' when several seeds) */
  training: Record<string, TrainOutput>;
  evaluations: Record<string, EvaluateOutput>;
  benchmarks: Record<string, BenchmarkOutput>;
  gates: Record<string, CompareOutput>;
  exports: Record<string, ExportOutput>;
  promoted: string[];
  report?: ReportOutput;
}

export interface RunProgress {
  stage: string;
  nodes: Record<string, NodeStatus>;
  /** last training heartbeat seen per family (only when the client reads it from pending activities) */
  training?: Record<string, TrainProgress>;
}

export interface BackfillInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  /** first partition cut-off, ISO date (inclusive) */
  from: string;
  /** last partition cut-off, ISO date (inclusive) */
  to: string;
  /** days between partitions */
  everyDays: number;
  topK: number;
  /** partitions exported at the same time (child workflows) */
  concurrency: number;
  /** continue-as-new after this many partitions in one run, to keep histories short */
  partitionsPerRun: number;
  /** customer shards per date: each (date, shard) is its own partition, written exactly once (default 1) */
  shards?: number;
}
export interface BackfillProgress {
  total: number;
  exported: number;
  skipped: number;
  running: string[];
  carriedOver: number;
}
export interface BackfillResult {
  /** (date, customer shard) partitions */
  partitions: number;
  exported: number;
  skipped: number;
  runs: number;
}

export interface PartitionWorkflowInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  asOf: string;
  topK: number;
  shard?: { index: number; count: number };
}

/** The key of a (date, customer shard) partition: the date alone when there is one shard. */
export function partitionKey(asOf: string, shard?: { index: number; count: number }): string {
  return shard && shard.count > 1 ? `${asOf}.s${shard.index}of${shard.count}` : asOf;
}
export type PartitionWorkflowResult = PartitionOutput;

/** Offline benchmarks of one trained model (a model folder written by the train step). */
export interface BenchmarkWorkflowInput {
  /** where the step cache and ledger go */
  workDir: string;
  /** the model's folder (run.json names its prepared data and artifact) */
  runDir: string;
  tasks: BenchmarkSpec[];
  evaluate?: EvaluateSpec[];
}
export interface BenchmarkWorkflowResult {
  family: string;
  evaluation?: EvaluateOutput;
  benchmarks?: BenchmarkOutput;
}

/** Partition cut-offs from..to (inclusive) every `everyDays` days, as ISO dates. Pure date math. */
export function partitionDates(from: string, to: string, everyDays: number): string[] {
  const day = 86_400_000;
  const a = Date.parse(from + (from.length === 10 ? 'T00:00:00Z' : ''));
  const b = Date.parse(to + (to.length === 10 ? 'T00:00:00Z' : ''));
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`bad partition range ${from}..${to}`);
  if (!(everyDays >= 1)) throw new Error(`everyDays must be >= 1, got ${everyDays}`);
  const out: string[] = [];
  for (let t = a; t <= b; t += everyDays * day) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** The run's result from the plan's outputs (shared with retrainWorkflow). */
export function collectResults(spec: RunSpec, nodes: Record<string, NodeStatus>, results: PlanResults): RetrainResult {
  const models = runModels(spec);
  const pick = <T>(prefix: string) =>
    Object.fromEntries(models.filter((m) => results[`${prefix}:${m.key}`]).map((m) => [m.key, results[`${prefix}:${m.key}`] as T]));
  return {
    runName: spec.name,
    nodes: { ...nodes },
    training: pick<TrainOutput>('train'),
    evaluations: pick<EvaluateOutput>('evaluate'),
    benchmarks: pick<BenchmarkOutput>('benchmark'),
    gates: pick<CompareOutput>('compare'),
    exports: pick<ExportOutput>('export'),
    promoted: models
      .filter((m) => nodes[`promote:${m.key}`] === 'done' && (results[`promote:${m.key}`] as PromoteOutput | undefined)?.promoted !== false)
      .map((m) => m.key),
    report: results.report as ReportOutput | undefined,
  };
}
