export { createWorker, temporalActivities } from './worker';
export type { WorkerOptions } from './worker';
