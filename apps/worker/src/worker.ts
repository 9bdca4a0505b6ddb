import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TLSConfig } from '@temporalio/worker';
import { isCfmError, lineProgress } from '@cfm/core';
import type { ProgressReporter } from '@cfm/core';
import { TASK_QUEUES, GPU_ACTIVITIES } from '@cfm/contracts';
import type { CfmActivities, QueueKind } from '@cfm/contracts';
import { resolveLikeThisProcess } from '@cfm/workflows/bundler';
import { createActivities } from '@cfm/pipeline';
import type { PipelineSteps } from '@cfm/pipeline';

export interface WorkerOptions {
  queue: QueueKind;
  /** host:port of the Temporal frontend */
  address: string;
  namespace?: string;
  steps: PipelineSteps;
  /** activities run at once by this process (training: 1 per GPU) */
  maxConcurrentActivities?: number;
  /** a prebuilt bundle (production); otherwise workflows are bundled from source at start-up */
  workflowBundlePath?: string;
  progress?: ProgressReporter;
  /** TLS / API key of the connection (connectionSecurity() of @cfm/scheduler reads them from flags and env) */
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/** How long a stopping worker waits for its cancelled activities (a training's checkpoint write): keep every
 * pod's terminationGracePeriodSeconds above it (infra/k8s, checked by deploy.test.ts). */
export const SHUTDOWN_FORCE_SECONDS = 120;

/** Activities with Temporal glue: heartbeat + cancellation from the activity Context, and CfmErrors
 * (bad input, bad config: retrying cannot help) turned into non-retryable failures. */
export function temporalActivities(steps: PipelineSteps, progress: ProgressReporter): CfmActivities {
  const acts = createActivities({
    steps,
    progress,
    context: () => {
      const c = Context.current();
      return { heartbeat: (d) => c.heartbeat(d), signal: c.cancellationSignal };
    },
  });
  const wrapped = {} as Record<string, (input: unknown) => Promise<unknown>>;
  for (const [name, fn] of Object.entries(acts) as Array<[string, (i: unknown) => Promise<unknown>]>) {
    wrapped[name] = async (input) => {
      try {
        return await fn(input);
      } catch (e) {
        if (isCfmError(e) && !e.retryable)
          throw ApplicationFailure.nonRetryable(e.message, 'CfmError', { code: e.code, location: e.location });
        // retryable (a cancelled training with its checkpoint, a busy registry): another attempt, maybe on another worker
        if (isCfmError(e)) throw ApplicationFailure.retryable(e.message, 'CfmRetryable', { code: e.code, location: e.location });
        throw e;
      }
    };
  }
  return wrapped as unknown as CfmActivities;
}

/** One worker per task queue: the cpu worker also runs the workflows; the gpu worker runs training only. */
export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address, tls: opts.tls, apiKey: opts.apiKey });
  const progress = opts.progress ?? lineProgress();
  const all = temporalActivities(opts.steps, progress);
  const activities = Object.fromEntries(
    Object.entries(all).filter(([name]) => GPU_ACTIVITIES.includes(name as keyof CfmActivities) === (opts.queue === 'gpu')),
  );
  const workflows =
    opts.queue === 'cpu'
      ? opts.workflowBundlePath
        ? { workflowBundle: { codePath: opts.workflowBundlePath } }
        : { workflowsPath: require.resolve('@cfm/workflows'), bundlerOptions: { webpackConfigHook: resolveLikeThisProcess } }
      : {};
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: TASK_QUEUES[opts.queue],
    activities,
    ...workflows,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? (opts.queue === 'gpu' ? 1 : 4),
    // a killed worker's training is retried by another one after the heartbeat timeout. On a graceful stop (SIGTERM,
    // every rolling update) running activities are cancelled at once: a training saves its checkpoint and fails as
    // retryable, never as a finished model, and another worker resumes it; the worker waits up to shutdownForceTime
    // for that checkpoint write (keep the pod's termination grace period above it)
    shutdownGraceTime: '0s',
    shutdownForceTime: `${SHUTDOWN_FORCE_SECONDS}s`,
    // heartbeats reach the server at least every 5 s, so `cfm-scheduler status` shows progress at most ~5 s old
    maxHeartbeatThrottleInterval: '5s',
    defaultHeartbeatThrottleInterval: '5s',
  });
  return { worker, connection };
}
