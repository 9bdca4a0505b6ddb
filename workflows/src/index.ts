// The single bundle entry for Temporal workers (workflowsPath). Workflow code only: deterministic,
// imports nothing but @temporalio/workflow and @cfm/contracts.
export { retrainWorkflow, progressQuery } from './retrain';
export { backfillWorkflow, partitionWorkflow, backfillProgressQuery } from './backfill';
export { benchmarkWorkflow } from './benchmark';
export type { ActivityTimeouts } from './activities';
