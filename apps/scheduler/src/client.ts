import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleHandle, WorkflowHandle } from '@temporalio/client';
import { QUERIES, TASK_QUEUES, WORKFLOWS } from '@cfm/contracts';
import type { BackfillInput, BenchmarkWorkflowInput, RetrainInput, RunProgress, RunSpec } from '@cfm/contracts';

export async function connect(address: string, namespace = 'default'): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Timeouts passed through to the workflows (tests tighten them). */
export interface Timeouts { heartbeatTimeout?: string; trainTimeout?: string; cpuTimeout?: string; cpuHeartbeatTimeout?: string }

export function startRetrain(client: Client, spec: RunSpec, o: { workflowId?: string; timeouts?: Timeouts } = {}): Promise<WorkflowHandle> {
  const args: [RetrainInput & { timeouts?: Timeouts }] = [{ spec, timeouts: o.timeouts }];
  return client.workflow.start(WORKFLOWS.retrain, { taskQueue: TASK_QUEUES.cpu, workflowId: o.workflowId ?? `retrain-${spec.name}-${Date.now()}`, args });
}

export function startBackfill(client: Client, input: BackfillInput, o: { workflowId?: string; timeouts?: Timeouts } = {}): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOWS.backfill, {
    taskQueue: TASK_QUEUES.cpu, workflowId: o.workflowId ?? `backfill-${input.family}-${input.from}-${input.to}`, args: [{ ...input, timeouts: o.timeouts }],
  });
}

/** Offline benchmarks (evaluation protocols and downstream tasks) of one trained model folder, on cpu workers. */
export function startBenchmark(client: Client, input: BenchmarkWorkflowInput, o: { workflowId?: string; timeouts?: Timeouts } = {}): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOWS.benchmark, {
    taskQueue: TASK_QUEUES.cpu, workflowId: o.workflowId ?? `benchmark-${input.runDir.split('/').filter(Boolean).pop()}-${Date.now()}`, args: [{ ...input, timeouts: o.timeouts }],
  });
}

export interface WorkflowStatus {
  workflowId: string;
  type: string;
  /** RUNNING, COMPLETED, FAILED, ... */
  status: string;
  /** the workflow's own progress query (retrain: stage + nodes; backfill: counters), while it runs */
  progress?: unknown;
  /** each running activity: its last heartbeat and how old it is */
  activities: Array<{ type: string; attempt: number; heartbeat?: unknown; heartbeatAgeSeconds?: number }>;
}

/** Status of any workflow kind: describe(), the progress query when the workflow has one and runs, and the
 * last heartbeat of each running activity with its age. */
export async function runProgress(client: Client, workflowId: string): Promise<WorkflowStatus> {
  const h = client.workflow.getHandle(workflowId);
  const d = await h.describe();
  const withQuery = d.status.name === 'RUNNING' && (d.type === WORKFLOWS.retrain || d.type === WORKFLOWS.backfill);
  const progress = withQuery ? await h.query<RunProgress>(QUERIES.progress).catch(() => undefined) : undefined;
  const conv = client.options.loadedDataConverter.payloadConverter;
  const now = Date.now();
  const activities = (d.raw.pendingActivities ?? []).map((a) => {
    const beat = a.lastHeartbeatTime?.seconds ? Number(a.lastHeartbeatTime.seconds) * 1000 : undefined;
    return {
      type: a.activityType?.name ?? '?',
      attempt: a.attempt ?? 1,
      heartbeat: a.heartbeatDetails?.payloads?.[0] ? conv.fromPayload(a.heartbeatDetails.payloads[0]) : undefined,
      heartbeatAgeSeconds: beat === undefined ? undefined : Math.round((now - beat) / 1000),
    };
  });
  return { workflowId, type: d.type, status: d.status.name, progress, activities };
}

/** A Temporal Schedule for periodic retraining; overlapping runs are skipped. */
export function createRetrainSchedule(
  client: Client, spec: RunSpec, o: { scheduleId: string; every?: string; cron?: string; paused?: boolean; timeouts?: Timeouts },
): Promise<ScheduleHandle> {
  return client.schedule.create({
    scheduleId: o.scheduleId,
    spec: o.cron ? { cronExpressions: [o.cron] } : { intervals: [{ every: (o.every ?? '1d') as '1d' }] },
    action: { type: 'startWorkflow', workflowType: WORKFLOWS.retrain, taskQueue: TASK_QUEUES.cpu, workflowId: `retrain-${spec.name}`, args: [{ spec, timeouts: o.timeouts }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    state: { paused: o.paused ?? false },
  });
}

export async function updateRetrainSchedule(client: Client, scheduleId: string, spec: RunSpec, every?: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).update((prev) => ({
    ...prev,
    spec: every ? { intervals: [{ every: every as '1d' }] } : prev.spec,
    action: { ...prev.action, type: 'startWorkflow', workflowType: WORKFLOWS.retrain, args: [{ spec }] } as typeof prev.action,
  }));
}
