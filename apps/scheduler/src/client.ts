import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import type { ScheduleHandle, TLSConfig, WorkflowHandle } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { CfmError } from '@cfm/core';
import { QUERIES, TASK_QUEUES, WORKFLOWS } from '@cfm/contracts';
import type { BackfillInput, BenchmarkWorkflowInput, RetrainInput, RunProgress, RunSpec } from '@cfm/contracts';

/** TLS / API key settings of a Temporal connection, as flags or environment variables (the Temporal CLI's names):
 * TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (client certificate and key files: mTLS), TEMPORAL_TLS_CA (the server's CA
 * file), TEMPORAL_TLS_SERVER_NAME (SNI / name to verify), TEMPORAL_TLS (true: TLS with the system roots; false: plain
 * text even with an API key), TEMPORAL_API_KEY (sent as `Authorization: Bearer`; turns TLS on unless TEMPORAL_TLS=false). */
export interface SecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServerName?: string;
  tls?: string;
  apiKey?: string;
}

export const SECURITY_ENV: Record<keyof SecurityFlags, string> = {
  tlsCert: 'TEMPORAL_TLS_CERT',
  tlsKey: 'TEMPORAL_TLS_KEY',
  tlsCa: 'TEMPORAL_TLS_CA',
  tlsServerName: 'TEMPORAL_TLS_SERVER_NAME',
  tls: 'TEMPORAL_TLS',
  apiKey: 'TEMPORAL_API_KEY',
};

/** What NativeConnection.connect and Connection.connect take: `tls` (undefined: plain text) and `apiKey`.
 * A flag wins over its environment variable; an empty variable counts as unset. Files are read here, so a missing
 * or unreadable one fails at start-up naming the variable. */
export function connectionSecurity(
  flags: SecurityFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): { tls?: TLSConfig | boolean; apiKey?: string } {
  const get = (k: keyof SecurityFlags): { value?: string; field: string } => {
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (flags[k] !== undefined && flags[k] !== '') return { value: flags[k], field: flag };
    const v = env[SECURITY_ENV[k]];
    return { value: v === '' ? undefined : v, field: SECURITY_ENV[k] };
  };
  const read = (k: 'tlsCert' | 'tlsKey' | 'tlsCa'): Buffer | undefined => {
    const { value, field } = get(k);
    if (value === undefined) return undefined;
    try {
      return readFileSync(value);
    } catch (e) {
      throw new CfmError('CFM_E_CONFIG', `cannot read ${value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field });
    }
  };
  const crt = read('tlsCert');
  const key = read('tlsKey');
  if ((crt === undefined) !== (key === undefined)) {
    throw new CfmError('CFM_E_CONFIG', 'a client certificate needs its key and a key its certificate (mTLS)', {
      field: crt ? SECURITY_ENV.tlsKey : SECURITY_ENV.tlsCert,
    });
  }
  const ca = read('tlsCa');
  const serverName = get('tlsServerName').value;
  const onOff = get('tls');
  if (onOff.value !== undefined && !/^(true|false|1|0)$/.test(onOff.value)) {
    throw new CfmError('CFM_E_CONFIG', `expected true or false, got "${onOff.value}"`, { field: onOff.field });
  }
  const apiKey = get('apiKey').value;
  const custom = crt !== undefined || ca !== undefined || serverName !== undefined;
  const explicit = onOff.value === undefined ? undefined : onOff.value === 'true' || onOff.value === '1';
  if (explicit === false && custom) {
    throw new CfmError('CFM_E_CONFIG', 'TLS is switched off but a certificate, CA or server name is set', { field: onOff.field });
  }
  const tls: TLSConfig | boolean | undefined = custom
    ? {
        ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        ...(ca ? { serverRootCACertificate: ca } : {}),
        ...(serverName ? { serverNameOverride: serverName } : {}),
      }
    : (explicit ?? (apiKey !== undefined ? true : undefined));
  return { ...(tls !== undefined ? { tls } : {}), ...(apiKey !== undefined ? { apiKey } : {}) };
}

export async function connect(address: string, namespace = 'default', security: SecurityFlags = {}): Promise<Client> {
  const connection = await Connection.connect({ address, ...connectionSecurity(security) });
  return new Client({ connection, namespace });
}

/** Timeouts passed through to the workflows (tests tighten them). */
export interface Timeouts {
  heartbeatTimeout?: string;
  trainTimeout?: string;
  cpuTimeout?: string;
  cpuHeartbeatTimeout?: string;
}

export function startRetrain(client: Client, spec: RunSpec, o: { workflowId?: string; timeouts?: Timeouts } = {}): Promise<WorkflowHandle> {
  const args: [RetrainInput & { timeouts?: Timeouts }] = [{ spec, timeouts: o.timeouts }];
  return client.workflow.start(WORKFLOWS.retrain, {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: o.workflowId ?? `retrain-${spec.name}-${Date.now()}`,
    args,
  });
}

export function startBackfill(
  client: Client,
  input: BackfillInput,
  o: { workflowId?: string; timeouts?: Timeouts } = {},
): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOWS.backfill, {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: o.workflowId ?? `backfill-${input.family}-${input.from}-${input.to}`,
    args: [{ ...input, timeouts: o.timeouts }],
  });
}

/** Offline benchmarks (evaluation protocols and downstream tasks) of one trained model folder, on cpu workers. */
export function startBenchmark(
  client: Client,
  input: BenchmarkWorkflowInput,
  o: { workflowId?: string; timeouts?: Timeouts } = {},
): Promise<WorkflowHandle> {
  return client.workflow.start(WORKFLOWS.benchmark, {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: o.workflowId ?? `benchmark-${input.runDir.split('/').filter(Boolean).pop()}-${Date.now()}`,
    args: [{ ...input, timeouts: o.timeouts }],
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
  client: Client,
  spec: RunSpec,
  o: { scheduleId: string; every?: string; cron?: string; paused?: boolean; timeouts?: Timeouts },
): Promise<ScheduleHandle> {
  return client.schedule.create({
    scheduleId: o.scheduleId,
    spec: o.cron ? { cronExpressions: [o.cron] } : { intervals: [{ every: (o.every ?? '1d') as '1d' }] },
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOWS.retrain,
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `retrain-${spec.name}`,
      args: [{ spec, timeouts: o.timeouts }],
    },
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
