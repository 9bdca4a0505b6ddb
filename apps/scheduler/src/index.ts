export {
  connect,
  connectionSecurity,
  SECURITY_ENV,
  startRetrain,
  startBackfill,
  startBenchmark,
  runProgress,
  createRetrainSchedule,
  updateRetrainSchedule,
} from './client';
export type { SecurityFlags, Timeouts, WorkflowStatus } from './client';
