import type { BenchmarkSpec, EvaluateSpec, FamilySpec, GateSpec, RunSpec } from './run-spec';
export type { BenchmarkSpec, EvaluateSpec } from './run-spec';

/** Every activity takes and returns small JSON: paths, ids, metrics — never tensors or rows. */

export interface PrepareInput {
  spec: RunSpec;
}
export interface PrepareOutput {
  /** folder written by @cfm/data (loadPrepared reads it) */
  preparedDir: string;
  dataHash: string;
  /** the dataset's name (presets are chosen by it) */
  dataset: string;
  /** the real split, e.g. 'leave-one-out' or 'temporal (valid from 2024-02-18, test from 2024-02-24)' */
  split: string;
  /** events kept per customer */
  maxSeqLen: number;
  counts: Record<string, number>;
  cached: boolean;
}

export interface TrainInput {
  workDir: string;
  preparedDir: string;
  dataHash: string;
  /** the family with its resolved config; config.seed is this node's training seed */
  family: FamilySpec;
  seed: number;
  /** the model's folder; default <workDir>/models/<id>-s<seed>-<key> (cfm train passes its --out) */
  runDir?: string;
}
/** Heartbeat details of a training activity. */
export interface TrainProgress {
  family: string;
  epoch: number;
  step: number;
  totalSteps?: number;
  loss: number;
}
export interface TrainOutput {
  /** the family id of the run */
  family: string;
  /** the registry name */
  name: string;
  seed: number;
  /** the model's folder: run.json, model/ (the artifact), checkpoints/, train.json, eval.json, ... */
  runDir: string;
  /** <runDir>/model */
  artifactDir: string;
  configHash: string;
  /** sha256 of the artifact's content (weights, config, vocabulary; not its creation time) */
  artifactHash: string;
  steps: number;
  /** optimizer step restored from a checkpoint (0 when trained from scratch) */
  resumedFromStep: number;
  finalLoss: number;
  seconds: number;
  cached: boolean;
}

/** The inputs every step after training shares: which model, on which prepared data. */
export interface ModelRef {
  workDir: string;
  preparedDir: string;
  runDir: string;
  artifactDir: string;
  /** the content hash: cached results of another model at the same path are never reused */
  artifactHash: string;
  /** family id and registry name */
  family: string;
  name: string;
  seed: number;
}

export interface EvaluateInput extends ModelRef {
  evaluate: EvaluateSpec[];
}
/** One protocol's numbers: mean over the negative-sampling seeds, their standard deviation, and per seed. */
export interface ProtocolResult {
  /** short name, e.g. 'full', 'sampled-uniform-99' */
  label: string;
  /** one line that states the split and protocol the numbers were computed under */
  protocol: string;
  metrics: Record<string, number>;
  std: Record<string, number>;
  perSeed: Array<Record<string, number>>;
  seeds: number[];
}
export interface EvaluateOutput {
  family: string;
  /** the real split, e.g. 'leave-one-out, test' or 'temporal (2024-02-18 / 2024-02-24), test' */
  split: string;
  results: ProtocolResult[];
  seconds: number;
  cached: boolean;
}

export interface BenchmarkInput extends ModelRef {
  tasks: BenchmarkSpec[];
}
/** One downstream task on one model: a row per method (U-MLP, XGBoost, fine-tuned, frozen, ...). */
export interface BenchmarkResult {
  task: string;
  kind: BenchmarkSpec['task'];
  /** how labels / targets are formed, stated in reports */
  rule: string;
  examples: number;
  split: { train: number; valid: number; test: number };
  repeats: number;
  rows: Array<{
    model: string;
    metrics: Record<string, number>;
    std: Record<string, number>;
    /** compute cost of the method: ms per scored batch, parameters trained, seconds of training */
    cost?: { msPerBatch: number; parameters: number; trainSeconds: number };
  }>;
}
export interface BenchmarkOutput {
  family: string;
  results: BenchmarkResult[];
  seconds: number;
  cached: boolean;
}

export interface CompareInput extends ModelRef {
  /** the gate's protocol result and the benchmarks (when the run has any) */
  evaluation: ProtocolResult;
  benchmarks?: BenchmarkResult[];
  gate: GateSpec;
}
export interface CompareOutput {
  family: string;
  metric: string;
  challenger: number;
  champion: number | null;
  passed: boolean;
  reason: string;
  /** the champion the challenger was compared against (its artifact id; null: none): promotion happens only if it
   * is still the champion then */
  championArtifact: string | null;
  /** benchmark requirements and whether each was met */
  benchmarks: Array<{ result: string; value: number | null; min: number; passed: boolean }>;
}

export interface ExportInput extends ModelRef {
  topK: number;
}
export interface ExportOutput {
  family: string;
  /** <runDir>/exports/... */
  files: string[];
  rows: Record<string, number>;
  /** the tasks whose top-k were written */
  tasks: string[];
  seconds: number;
  cached: boolean;
}

export interface PromoteInput extends ModelRef {
  runName: string;
  metrics: Record<string, number>;
  /** CompareOutput.championArtifact */
  expectedChampion: string | null;
}
export interface PromoteOutput {
  family: string;
  /** false when the champion changed between the gate and now (another challenger won first) */
  promoted: boolean;
  championDir: string;
  reason: string;
}

/** The run's closing step: summary.json and report.html of the workDir, from what the steps wrote. */
export interface ReportInput {
  workDir: string;
  spec: RunSpec;
  /** the model folders of this run with their model keys, in plan order */
  models: Array<{ key: string; family: string; name: string; seed: number; runDir: string }>;
  /** when the run started (ISO time) */
  startedAt: string;
}
export interface ReportOutput {
  summaryFile: string;
  reportFile: string;
}

/** One date partition of a backfill: recompute as of `asOf` (only events strictly before it). */
export interface PartitionInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  /** ISO date (UTC midnight) of the partition's cut-off */
  asOf: string;
  topK: number;
  /** only the customers whose id hashes to `index` of `count` shards (default: every customer) */
  shard?: { index: number; count: number };
}
export interface PartitionOutput {
  asOf: string;
  /** partitionKey(asOf, shard) */
  key: string;
  files: string[];
  customers: number;
  /** true when the partition had been exported before and nothing was written */
  skipped: boolean;
}

export interface ExportedPartitionsInput {
  workDir: string;
  family: string;
}

/** The sharded prep (RunSpec.prepare.shards > 1): split → stats per shard → global stats → sequences per shard → merge.
 * The @cfm/data values they pass on (split, stats, global, shard outputs) are plain JSON whose paths are references. */
export interface SplitDataOutput {
  /** where the prepared folder goes */
  preparedDir: string;
  /** the prepare output when an earlier run prepared the same inputs (every later sharded step is skipped) */
  cached?: PrepareOutput;
  dataset?: string;
  /** @cfm/data SplitResult */
  split?: unknown;
}
export interface ShardStatsInput {
  workDir: string;
  split: unknown;
  shard: number;
}
export interface MergeShardStatsInput {
  workDir: string;
  split: unknown;
  stats: unknown[];
}
export interface PrepareShardInput {
  workDir: string;
  global: unknown;
  shard: number;
}
export interface MergeShardsInput {
  spec: RunSpec;
  split: SplitDataOutput;
  global?: unknown;
  shards: unknown[];
}

/** The activity interface the workflows proxy and `createActivities(deps)` implements. */
export interface CfmActivities {
  prepareData(input: PrepareInput): Promise<PrepareOutput>;
  trainModel(input: TrainInput): Promise<TrainOutput>;
  evaluateModel(input: EvaluateInput): Promise<EvaluateOutput>;
  runBenchmarks(input: BenchmarkInput): Promise<BenchmarkOutput>;
  compareWithChampion(input: CompareInput): Promise<CompareOutput>;
  exportOutputs(input: ExportInput): Promise<ExportOutput>;
  promoteModel(input: PromoteInput): Promise<PromoteOutput>;
  reportRun(input: ReportInput): Promise<ReportOutput>;
  /** the ModelRef of a trained model folder (its run.json): what a benchmark of an existing model starts from */
  describeModel(input: { workDir: string; runDir: string }): Promise<ModelRef>;
  exportPartition(input: PartitionInput): Promise<PartitionOutput>;
  exportedPartitions(input: ExportedPartitionsInput): Promise<string[]>;
  splitData(input: PrepareInput): Promise<SplitDataOutput>;
  shardStats(input: ShardStatsInput): Promise<unknown>;
  mergeShardStats(input: MergeShardStatsInput): Promise<unknown>;
  prepareShard(input: PrepareShardInput): Promise<unknown>;
  mergeShards(input: MergeShardsInput): Promise<PrepareOutput>;
}
export type ActivityName = keyof CfmActivities;
/** Activities that run on the gpu queue; all others run on cpu. */
export const GPU_ACTIVITIES: readonly ActivityName[] = ['trainModel'];
