import type { RunSpec, FamilySpec, EvaluateSpec, GateSpec } from './run-spec';

/** Every activity takes and returns small JSON: paths, ids, metrics — never tensors or rows. */

export interface PrepareInput {
  spec: RunSpec;
}
export interface PrepareOutput {
  /** folder written by @cfm/data (loadPrepared reads it) */
  preparedDir: string;
  dataHash: string;
  counts: Record<string, number>;
  cached: boolean;
}

export interface TrainInput {
  workDir: string;
  preparedDir: string;
  dataHash: string;
  family: FamilySpec;
  seed: number;
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
  family: string;
  artifactDir: string;
  configHash: string;
  steps: number;
  /** optimizer step restored from a checkpoint (0 when trained from scratch) */
  resumedFromStep: number;
  finalLoss: number;
  seconds: number;
  cached: boolean;
}

export interface EvaluateInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  evaluate: EvaluateSpec;
  seed: number;
}
export interface EvaluateOutput {
  family: string;
  /** e.g. { 'ndcg@10': 0.31, 'hr@10': 0.52, mrr: 0.21 } */
  metrics: Record<string, number>;
  /** one line that states the protocol the numbers were computed under */
  protocol: string;
  cached: boolean;
}

export interface BenchmarkInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  tasks: string[];
  seed: number;
}
export interface BenchmarkOutput {
  family: string;
  /** per task: metric name → value */
  results: Record<string, Record<string, number>>;
  cached: boolean;
}

export interface CompareInput {
  workDir: string;
  family: string;
  artifactDir: string;
  metrics: Record<string, number>;
  /** the protocol the metrics were computed under (the gate refuses to compare across protocols) */
  protocol: string;
  gate: GateSpec;
}
export interface CompareOutput {
  family: string;
  metric: string;
  challenger: number;
  champion: number | null;
  passed: boolean;
  reason: string;
}

export interface ExportInput {
  workDir: string;
  preparedDir: string;
  artifactDir: string;
  family: string;
  topK: number;
}
export interface ExportOutput {
  family: string;
  files: string[];
  rows: Record<string, number>;
  cached: boolean;
}

export interface PromoteInput {
  workDir: string;
  runName: string;
  family: string;
  artifactDir: string;
  metrics: Record<string, number>;
}
export interface PromoteOutput {
  family: string;
  promoted: boolean;
  championDir: string;
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
}
export interface PartitionOutput {
  asOf: string;
  files: string[];
  customers: number;
  /** true when the partition had been exported before and nothing was written */
  skipped: boolean;
}

export interface ExportedPartitionsInput {
  workDir: string;
  family: string;
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
  exportPartition(input: PartitionInput): Promise<PartitionOutput>;
  exportedPartitions(input: ExportedPartitionsInput): Promise<string[]>;
}
export type ActivityName = keyof CfmActivities;
/** Activities that run on the gpu queue; all others run on cpu. */
export const GPU_ACTIVITIES: readonly ActivityName[] = ['trainModel'];
