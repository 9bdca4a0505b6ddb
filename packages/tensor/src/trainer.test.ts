import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from './test-backend';
import { Ctx, Params } from './params';
import { Dense } from './layers/dense';
import { AdamW, learningRate } from './optim';
import { softmaxCrossEntropy } from './losses';
import { train, trainStep, type TrainTask } from './trainer';

type B = { x: tf.Tensor2D; y: tf.Tensor1D };
function task(seed: number): TrainTask<B> & { dispose(): void } {
  const p = new Params(seed);
  const layer = new Dense(p, 'd', 4, 3);
  const data = Array.from({ length: 4 }, (_, i) => ({
    x: tf.tensor2d([
      [i, 1, 0, 2],
      [1, i, 3, 0],
    ]),
    y: tf.tensor1d([i % 3, (i + 1) % 3], 'int32'),
  }));
  return {
    params: p,
    batchesPerEpoch: 4,
    batch: (e, i) => data[(i + e) % 4],
    size: () => 2,
    loss: (b) => softmaxCrossEntropy(layer.apply(b.x), b.y, null),
    validate: () => -tf.tidy(() => softmaxCrossEntropy(layer.apply(data[0].x), data[0].y, null).dataSync()[0]),
    dispose: () => {
      p.dispose();
      tf.dispose(data.flatMap((d) => [d.x, d.y]));
    },
  };
}
const optim = { lr: 0.05, warmupSteps: 2, clipNorm: 1, weightDecay: 0.01 };

describe('trainer', () => {
  const dirs: string[] = [];
  beforeAll(() => initTestBackend());
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stops on an abort raised by a timer (a SIGINT handler) while training', async () => {
    const t = task(3);
    const ac = new AbortController();
    // the abort comes from a macrotask, as a signal handler's does: the loop must yield for it to run
    let last = 0;
    // a cancelled fit fails (retryable: another worker resumes) instead of returning a half-trained model
    await expect(
      train(t, {
        epochs: 50,
        seed: 1,
        optim,
        signal: ac.signal,
        onProgress: (p) => {
          last = p.step;
          if (p.step === 1) setTimeout(() => ac.abort(), 0);
        },
      }),
    ).rejects.toMatchObject({
      code: 'CFM_E_STATE',
      retryable: true,
      message: expect.stringMatching(/training cancelled at step \d+ of \d+$/),
    });
    expect(last).toBeLessThan(20);
    t.dispose();
  });

  it('keeps tf.memory().numTensors unchanged across a step', () => {
    const t = task(1);
    const opt = new AdamW(t.params.trainable(), { ...optim, totalSteps: 10 });
    trainStep(t, opt, t.batch(0, 0), new Ctx(true, 1));
    const before = tf.memory().numTensors;
    trainStep(t, opt, t.batch(0, 1), new Ctx(true, 2));
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    t.dispose();
  });

  it('warms up linearly, then decays to minLrRatio by the last step', () => {
    const o = { lr: 1, warmupSteps: 4, totalSteps: 104, minLrRatio: 0.1 };
    expect(learningRate(0, o)).toBeCloseTo(0.25);
    expect(learningRate(3, o)).toBeCloseTo(1);
    expect(learningRate(54, o)).toBeCloseTo(0.55);
    expect(learningRate(104, o)).toBeCloseTo(0.1);
    expect(learningRate(54, { ...o, schedule: 'linear' })).toBeCloseTo(0.55);
  });

  it('lowers the loss, and a run resumed from a checkpoint ends with the weights of an uninterrupted run', async () => {
    const full = task(2);
    const r1 = await train(full, { epochs: 3, seed: 5, optim });
    expect(r1.history[2].loss).toBeLessThan(r1.history[0].loss);
    const want = Array.from(full.params.get('d/kernel').dataSync());

    const dir = mkdtempSync(join(tmpdir(), 'cfm-trainer-'));
    dirs.push(dir);
    const first = task(2);
    const ac = new AbortController();
    // stop after step 6 (mid-epoch 2); checkpoint every 2 steps
    await expect(
      train(first, {
        epochs: 3,
        seed: 5,
        optim,
        checkpointDir: dir,
        checkpointEvery: 2,
        signal: ac.signal,
        onProgress: (p) => p.step === 6 && ac.abort(),
      }),
    ).rejects.toThrow(/cancelled at step 6 of 12; checkpoint saved/);
    first.dispose();
    const second = task(2);
    const r2 = await train(second, { epochs: 3, seed: 5, optim, checkpointDir: dir, checkpointEvery: 2 });
    expect(r2.resumedFromStep).toBe(6);
    expect(r2.steps).toBe(12);
    const got = Array.from(second.params.get('d/kernel').dataSync());
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
    full.dispose();
    second.dispose();
  });
});
