// `--exit-when-idle <s>`: a worker that has had no activity in flight for that long shuts down (gracefully) and the
// process exits 0. The gpu worker runs this way as a KEDA ScaledJob (infra/k8s/scaling.yaml): one pod per queued
// training that leaves when the queue has nothing more for it, so scaling in never stops a running training.
import { CfmError } from '@cfm/core';

export interface IdleWorker {
  getStatus(): { runState: string; numInFlightActivities: number };
  shutdown(): void;
}

/** Watches `worker` every `tickMs`; returns a function that stops watching. */
export function exitWhenIdle(worker: IdleWorker, idleMs: number, tickMs = 1000, now: () => number = Date.now): () => void {
  let lastBusy = now();
  const timer = setInterval(() => {
    const s = worker.getStatus();
    if (s.runState !== 'RUNNING') return;
    if (s.numInFlightActivities > 0) {
      lastBusy = now();
      return;
    }
    if (now() - lastBusy >= idleMs) {
      clearInterval(timer);
      worker.shutdown();
    }
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Seconds from --exit-when-idle or CFM_EXIT_WHEN_IDLE; undefined (run until a signal) when neither is set. */
export function idleSeconds(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const [raw, field] = flag !== undefined ? [flag, '--exit-when-idle'] : [env.CFM_EXIT_WHEN_IDLE, 'CFM_EXIT_WHEN_IDLE'];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new CfmError('CFM_E_CONFIG', `expected whole seconds >= 1, got "${raw}"`, { field });
  return Number(raw);
}
