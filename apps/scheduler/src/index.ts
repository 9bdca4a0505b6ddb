export { connect, startRetrain, startBackfill, runProgress, createRetrainSchedule, updateRetrainSchedule } from './client';
export type { Timeouts } from './client';
