// Workflow-safe contracts: imported by workflows/, the worker, the scheduler and @cfm/pipeline.
// Nothing here may import node-only modules, TF.js, DuckDB or zod.
export { TASK_QUEUES } from './task-queues';
export type { QueueKind } from './task-queues';
export type { RunSpec, DatasetSpec, SplitSpec, FamilySpec, EvaluateSpec, GateSpec } from './run-spec';
export { GPU_ACTIVITIES } from './activities';
export type {
  CfmActivities, ActivityName, PrepareInput, PrepareOutput, TrainInput, TrainOutput, TrainProgress,
  EvaluateInput, EvaluateOutput, BenchmarkInput, BenchmarkOutput, CompareInput, CompareOutput,
  ExportInput, ExportOutput, PromoteInput, PromoteOutput, PartitionInput, PartitionOutput, ExportedPartitionsInput,
} from './activities';
export { retrainPlan, executePlan } from './plan';
export type { PlanNode, PlanResults, PlanHooks, NodeStatus } from './plan';
export { WORKFLOWS, QUERIES, partitionDates } from './workflows';
export type {
  RetrainInput, RetrainResult, RunProgress, BackfillInput, BackfillProgress, BackfillResult,
  PartitionWorkflowInput, PartitionWorkflowResult, BenchmarkWorkflowInput, BenchmarkWorkflowResult,
} from './workflows';
