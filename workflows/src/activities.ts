import { proxyActivities } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { TASK_QUEUES } from '@cfm/contracts';
import type { CfmActivities } from '@cfm/contracts';

/** Timeouts a caller may tighten (tests) or loosen (long trainings). Temporal duration strings. */
export interface ActivityTimeouts {
  /** a training attempt whose worker stops heartbeating this long is retried elsewhere (default '2m') */
  heartbeatTimeout?: string;
  /** one training attempt at most (default '12h') */
  trainTimeout?: string;
  /** one cpu activity at most (default '1h') */
  cpuTimeout?: string;
  /** a cpu activity silent this long is retried elsewhere (default '5m'; steps heartbeat between batches) */
  cpuHeartbeatTimeout?: string;
}

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: ['CfmError'],
};

export function gpuActivities(t: ActivityTimeouts = {}): Pick<CfmActivities, 'trainModel'> {
  const opts: ActivityOptions = {
    taskQueue: TASK_QUEUES.gpu,
    startToCloseTimeout: (t.trainTimeout ?? '12h') as ActivityOptions['startToCloseTimeout'],
    heartbeatTimeout: (t.heartbeatTimeout ?? '2m') as ActivityOptions['heartbeatTimeout'],
    retry,
  };
  return proxyActivities<Pick<CfmActivities, 'trainModel'>>(opts);
}

export function cpuActivities(t: ActivityTimeouts = {}): Omit<CfmActivities, 'trainModel'> {
  const opts: ActivityOptions = {
    taskQueue: TASK_QUEUES.cpu,
    startToCloseTimeout: (t.cpuTimeout ?? '1h') as ActivityOptions['startToCloseTimeout'],
    heartbeatTimeout: (t.cpuHeartbeatTimeout ?? '5m') as ActivityOptions['heartbeatTimeout'],
    retry,
  };
  return proxyActivities<Omit<CfmActivities, 'trainModel'>>(opts);
}
