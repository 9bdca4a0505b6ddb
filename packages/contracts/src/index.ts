// Workflow-safe contracts: imported by workflows/, the worker, the scheduler and @cfm/pipeline.
// Nothing here may import node-only modules, TF.js, DuckDB or zod.
export { TASK_QUEUES } from './task-queues';
export type { QueueKind } from './task-queues';
export type {
  RunSpec,
  DatasetSpec,
  SplitSpec,
  PrepareSpec,
  FamilySpec,
  EvaluateSpec,
  GateSpec,
  BenchmarkSpec,
  BenchmarkTask,
  LabelRule,
  TargetSpec,
} from './run-spec';
export { GPU_ACTIVITIES } from './activities';
export type {
  CfmActivities,
  ActivityName,
  PrepareInput,
  PrepareOutput,
  TrainInput,
  TrainOutput,
  TrainProgress,
  EvaluateInput,
  EvaluateOutput,
  BenchmarkInput,
  BenchmarkOutput,
  CompareInput,
  CompareOutput,
  ExportInput,
  ExportOutput,
  PromoteInput,
  PromoteOutput,
  PartitionInput,
  PartitionOutput,
  ExportedPartitionsInput,
  ModelRef,
  ProtocolResult,
  BenchmarkResult,
  ReportInput,
  ReportOutput,
  SplitDataOutput,
  ShardStatsInput,
  MergeShardStatsInput,
  PrepareShardInput,
  MergeShardsInput,
} from './activities';
export { retrainPlan, executePlan, modelKey, runModels } from './plan';
export type { PlanNode, PlanResults, PlanHooks, NodeStatus } from './plan';
export { WORKFLOWS, QUERIES, partitionDates, partitionKey, collectResults } from './workflows';
export type {
  RetrainInput,
  RetrainResult,
  RunProgress,
  BackfillInput,
  BackfillProgress,
  BackfillResult,
  PartitionWorkflowInput,
  PartitionWorkflowResult,
  BenchmarkWorkflowInput,
  BenchmarkWorkflowResult,
} from './workflows';
