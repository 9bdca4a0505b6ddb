import type { ProgressReporter } from '@cfm/core';
import type {
  BenchmarkInput,
  BenchmarkResult,
  CompareInput,
  CompareOutput,
  EvaluateInput,
  ExportInput,
  PartitionInput,
  PromoteInput,
  PromoteOutput,
  ProtocolResult,
  ReportInput,
  RunSpec,
  TrainInput,
  TrainProgress,
} from '@cfm/contracts';

/** Where the champion registry is, and the references the registry records for the model. */
export interface RegistryAt {
  /** a DuckDB file, or a postgres:// URL */
  registry: string;
  artifactRef: string;
  runRef: string;
}

/** What one step sees of its runner: progress lines, and (under Temporal) a heartbeat and a cancel signal. */
export interface StepContext {
  progress: ProgressReporter;
  /** records liveness + progress; a no-op in-process */
  heartbeat(details?: unknown): void;
  signal?: AbortSignal;
}

export interface PrepareResult {
  dataHash: string;
  /** the prepare settings' hash: the same events prepared differently are different data */
  prepareHash: string;
  dataset: string;
  /** the real split, e.g. 'leave-one-out' or 'temporal (valid from …, test from …)' */
  split: string;
  maxSeqLen: number;
  counts: Record<string, number>;
}

export interface TrainResult {
  steps: number;
  resumedFromStep: number;
  finalLoss: number;
  configHash: string;
  artifactHash: string;
}

/** The work of each DAG step, on paths and small JSON. `createActivities` wraps these with the step cache,
 * the folder layout and exactly-once markers; `realSteps()` implements them. Every step after training
 * reads and writes the model folder (`runDir`, docs/pipeline.md). */
export interface PipelineSteps {
  /** ingest + validate + vocab + split + sequences into `outDir` (read back with loadPrepared) */
  prepare(spec: RunSpec, outDir: string, ctx: StepContext): Promise<PrepareResult>;
  /** trains and saves the model into `runDir` (model/, checkpoints/, run.json, train.json); resumes from its checkpoints */
  train(
    input: TrainInput,
    runDir: string,
    ctx: StepContext & { onTrainProgress(p: TrainProgress): void; onCheckpoint?: () => Promise<void> },
  ): Promise<TrainResult>;
  evaluate(input: EvaluateInput, ctx: StepContext): Promise<{ split: string; results: ProtocolResult[]; seconds: number }>;
  benchmark(input: BenchmarkInput, ctx: StepContext): Promise<{ results: BenchmarkResult[]; seconds: number }>;
  compare(input: CompareInput, ctx: StepContext, at: RegistryAt): Promise<Omit<CompareOutput, 'family'>>;
  /** customer embeddings + every task's top-k scores as Parquet under <runDir>/exports */
  exportOutputs(
    input: ExportInput,
    ctx: StepContext,
  ): Promise<{ files: string[]; rows: Record<string, number>; tasks: string[]; seconds: number }>;
  promote(input: PromoteInput, ctx: StepContext, at: RegistryAt): Promise<Omit<PromoteOutput, 'family'>>;
  /** embeddings + top-k as of `input.asOf` (only events strictly before it) under `outDir` */
  exportPartition(input: PartitionInput, outDir: string, ctx: StepContext): Promise<{ files: string[]; customers: number }>;
  /** summary.json + report.html of the workDir */
  report(input: ReportInput, ctx: StepContext): Promise<{ summaryFile: string; reportFile: string }>;
}
