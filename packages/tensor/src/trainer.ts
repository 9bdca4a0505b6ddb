/** The training loop every family uses: AdamW + schedule + clipping, per-epoch validation with
 * early stopping, checkpoints every N steps with exact resume, progress with seq/s and ETA. */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfmError, silentProgress, type FitReport, type FitOptions, type ProgressReporter } from '@cfm/core';
import { loadBest, loadCheckpoint, saveBest, saveCheckpoint, type LoopState } from './checkpoint';
import { AdamW, type OptimOptions } from './optim';
import { Ctx, type Params } from './params';

/** What a family hands the trainer. Batches must be a pure function of (epoch, index). */
export interface TrainTask<B> {
  params: Params;
  batchesPerEpoch: number;
  batch(epoch: number, index: number): B;
  /** sequences in the batch (for seq/s) */
  size(batch: B): number;
  /** scalar loss; called inside tf.variableGrads */
  loss(batch: B, ctx: Ctx): tf.Scalar;
  /** validation metric, higher is better (e.g. NDCG@10 on the valid set) */
  validate?(): number | Promise<number>;
}

export interface TrainOptions extends FitOptions {
  epochs: number;
  seed: number;
  optim: Omit<OptimOptions, 'totalSteps'>;
  /** early-stopping patience in validations; 0 = never stop early */
  patience?: number;
  /** validate every this many epochs */
  validateEvery?: number;
  /** identifies config + data; resuming with a different key is refused */
  runKey?: string;
  progress?: ProgressReporter;
}

/** one optimisation step; returns the loss (no tensors survive it) */
export function trainStep<B>(task: TrainTask<B>, opt: AdamW, batch: B, ctx: Ctx): number {
  const vars = [...opt.vars.values()];
  const names = [...opt.vars.keys()];
  const { value, grads } = tf.variableGrads(() => task.loss(batch, ctx), vars);
  const byName: Record<string, tf.Tensor> = {};
  // a variable the loss does not reach this step (e.g. a frozen encoder during a head warm-up) has no gradient and no update
  vars.forEach((v, i) => grads[v.name] && (byName[names[i]] = grads[v.name]));
  const norm = opt.apply(byName);
  const loss = value.dataSync()[0];
  tf.dispose([value, norm, ...Object.values(grads)]);
  return loss;
}

export async function train<B>(task: TrainTask<B>, o: TrainOptions): Promise<FitReport> {
  const progress = o.progress ?? silentProgress;
  const perEpoch = task.batchesPerEpoch;
  const totalSteps = o.epochs * perEpoch;
  const opt = new AdamW(task.params.trainable(), { ...o.optim, totalSteps });
  const ownDir = !o.checkpointDir;
  const dir = o.checkpointDir ?? mkdtempSync(join(tmpdir(), 'cfm-ckpt-'));
  const runKey = o.runKey ?? 'default';
  let state: LoopState = { step: 0, bestMetric: null, bestStep: null, badValidations: 0, history: [], runKey };
  const restored = loadCheckpoint(dir, task.params, opt, runKey);
  const checkpoint = async () => {
    await saveCheckpoint(dir, task.params, opt, state);
    await o.onCheckpoint?.();
  };
  const resumedFromStep = restored?.step;
  if (restored) {
    state = restored;
    progress.log(`resumed from step ${restored.step} (${dir})`);
  }
  try {
    progress.start('train', totalSteps);
    let stopped = false;
    while (state.step < totalSteps && !stopped) {
      const epoch = Math.floor(state.step / perEpoch);
      const t0 = Date.now();
      let lossSum = 0;
      let lossN = 0;
      let seqs = 0;
      for (let i = state.step % perEpoch; i < perEpoch && !o.signal?.aborted; i++) {
        const batch = task.batch(epoch, i);
        const loss = trainStep(task, opt, batch, new Ctx(true, o.seed * 1_000_003 + state.step));
        state.step++;
        lossSum += loss;
        lossN++;
        seqs += task.size(batch);
        const seqPerSec = seqs / ((Date.now() - t0) / 1000);
        progress.update({ step: 'train', done: state.step, total: totalSteps, info: { epoch, loss: lossSum / lossN, 'seq/s': seqPerSec } });
        o.onProgress?.({ epoch, step: state.step, totalSteps, loss, seqPerSec });
        if (o.checkpointEvery && state.step % o.checkpointEvery === 0) await checkpoint();
        // yield to the event loop each step: signal handlers (Ctrl-C → abort) and activity heartbeats run here
        await new Promise<void>((r) => setImmediate(r));
      }
      if (o.signal?.aborted) {
        // a cancelled fit never returns a model: it leaves a checkpoint to resume from and fails
        await checkpoint();
        throw new CfmError(
          'CFM_E_STATE',
          `training cancelled at step ${state.step} of ${totalSteps}${ownDir ? '' : `; checkpoint saved in ${dir}, the same run resumes from it`}`,
          {},
          true,
        );
      }
      const seconds = (Date.now() - t0) / 1000;
      const entry: LoopState['history'][number] = { epoch, loss: lossSum / Math.max(1, lossN), seconds };
      if (task.validate && ((epoch + 1) % (o.validateEvery ?? 1) === 0 || state.step >= totalSteps)) {
        entry.metric = await task.validate();
        if (state.bestMetric === null || entry.metric > state.bestMetric) {
          state.bestMetric = entry.metric;
          state.bestStep = state.step;
          state.badValidations = 0;
          await saveBest(dir, task.params);
        } else if (o.patience && ++state.badValidations >= o.patience) stopped = true;
      }
      state.history.push(entry);
      const eta = ((totalSteps - state.step) / perEpoch) * seconds;
      progress.log(
        `epoch ${epoch + 1}/${o.epochs} loss ${entry.loss.toFixed(4)}` +
          (entry.metric !== undefined ? ` metric ${entry.metric.toFixed(4)} (best ${state.bestMetric?.toFixed(4)})` : '') +
          ` ${(seqs / seconds).toFixed(1)} seq/s ${seconds.toFixed(1)} s eta ${Math.round(stopped ? 0 : eta)} s`,
      );
      o.onProgress?.({ epoch, step: state.step, totalSteps, loss: entry.loss, metric: entry.metric, seqPerSec: seqs / seconds });
      await checkpoint();
    }
    progress.finish('train', { steps: state.step, best: state.bestMetric ?? NaN });
    if (state.bestMetric !== null) loadBest(dir, task.params);
    return {
      epochs: state.history.length,
      steps: state.step,
      resumedFromStep,
      bestMetric: state.bestMetric ?? undefined,
      history: state.history,
    };
  } finally {
    opt.dispose();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}
