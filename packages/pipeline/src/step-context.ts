import type { ProgressReporter } from '@cfm/core';
import type {
  BenchmarkInput, CompareInput, CompareOutput, EvaluateInput, ExportInput, PartitionInput, PromoteInput, PromoteOutput,
  RunSpec, TrainInput, TrainProgress,
} from '@cfm/contracts';

/** What one step sees of its runner: progress lines, and (under Temporal) a heartbeat and a cancel signal. */
export interface StepContext {
  progress: ProgressReporter;
  /** records liveness + progress; a no-op in-process */
  heartbeat(details?: unknown): void;
  signal?: AbortSignal;
}

/** The work of each DAG step, on paths and small JSON. `createActivities` wraps these with the
 * step cache, the directory layout and exactly-once markers; `realSteps()` implements them on
 * @cfm/data, @cfm/models, @cfm/eval and @cfm/export. */
export interface PipelineSteps {
  /** ingest + validate + vocab + split + sequences into `outDir` (read back with loadPrepared) */
  prepare(spec: RunSpec, outDir: string, ctx: StepContext): Promise<{ dataHash: string; counts: Record<string, number> }>;
  /** trains and saves the model to `artifactDir`; checkpoints into `checkpointDir` and resumes from it */
  train(
    input: TrainInput,
    dirs: { artifactDir: string; checkpointDir: string },
    ctx: StepContext & { onTrainProgress(p: TrainProgress): void },
  ): Promise<{ steps: number; resumedFromStep: number; finalLoss: number; configHash: string }>;
  evaluate(input: EvaluateInput, ctx: StepContext): Promise<{ metrics: Record<string, number>; protocol: string }>;
  benchmark(input: BenchmarkInput, ctx: StepContext): Promise<Record<string, Record<string, number>>>;
  compare(input: CompareInput, ctx: StepContext): Promise<CompareOutput>;
  /** customer embeddings + top-k scores as Parquet under `outDir` */
  exportOutputs(input: ExportInput, outDir: string, ctx: StepContext): Promise<{ files: string[]; rows: Record<string, number> }>;
  promote(input: PromoteInput, ctx: StepContext): Promise<PromoteOutput>;
  /** embeddings + top-k as of `input.asOf` (only events strictly before it) under `outDir` */
  exportPartition(input: PartitionInput, outDir: string, ctx: StepContext): Promise<{ files: string[]; customers: number }>;
}
