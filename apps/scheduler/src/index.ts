export { connect, startRetrain, startBackfill, startBenchmark, runProgress, createRetrainSchedule, updateRetrainSchedule } from './client';
export type { Timeouts, WorkflowStatus } from './client';
