/** A step's context with liveness: every progress event becomes a heartbeat (the SDK throttles them), and a ticker
 * repeats the last one every few seconds while the step runs (DuckDB queries, lock waits, long batches). */
import type { ProgressReporter } from '@cfm/core';
import type { StepContext } from './step-context';

/** what a runner gives a step: Temporal's heartbeat and cancellation (nothing in-process, or a Ctrl-C signal) */
export interface Liveness {
  heartbeat(details?: unknown): void;
  signal?: AbortSignal;
}

export async function live<T>(
  activity: string,
  progress: ProgressReporter,
  c: Liveness | undefined,
  fn: (ctx: StepContext) => Promise<T>,
): Promise<T> {
  let last: Record<string, unknown> = {};
  const beat = (d?: unknown) => {
    if (d !== undefined) last = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : { detail: d };
    c?.heartbeat({ activity, ...last });
  };
  const reporter: ProgressReporter = {
    start: (step, total) => (progress.start(step, total), beat({ stage: step, done: 0, total })),
    update: (e) => (progress.update(e), beat({ stage: e.step, done: e.done, total: e.total })),
    finish: (step, info) => (progress.finish(step, info), beat({ stage: step, finished: true })),
    log: (line) => progress.log(line),
  };
  const timer = c ? setInterval(() => beat(), 3000) : undefined;
  timer?.unref();
  try {
    return await fn({ progress: reporter, heartbeat: beat, signal: c?.signal });
  } finally {
    clearInterval(timer);
  }
}
