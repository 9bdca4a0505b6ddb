import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { initTestBackend } from './test-backend';
import { AdamW } from './optim';

/** 4 steps of AdamW on two weights (one decayed, one bias) with clipping active; host update or TF ops */
function run(host: boolean) {
  process.env.CFM_HOST_ADAM = host ? '1' : '0';
  resetRuntimeOptions();
  const vars = new Map([
    ['w/kernel', tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 1))],
    ['w/bias', tf.variable(tf.randomNormal([3], 0, 1, 'float32', 2))],
  ]);
  const opt = new AdamW(vars, { lr: 0.01, weightDecay: 0.1, clipNorm: 0.5, warmupSteps: 1, totalSteps: 10 });
  const norms: number[] = [];
  for (let s = 0; s < 4; s++) {
    const grads = { 'w/kernel': tf.randomNormal([5, 3], 0, 1, 'float32', 10 + s), 'w/bias': tf.randomNormal([3], 0, 1, 'float32', 20 + s) };
    const n = opt.apply(grads);
    norms.push(n.dataSync()[0]);
    tf.dispose([n, ...Object.values(grads)]);
  }
  const w = [...vars.values()].map((v) => Array.from(v.dataSync()));
  const state = Object.values(opt.state()).map((t) => Array.from(t.dataSync()));
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return { norms, w, state };
}

const close = (a: number[][], b: number[][], tol: number) =>
  a.forEach((x, i) => x.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(tol)));

describe('AdamW host update', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  afterEach(() => {
    delete process.env.CFM_HOST_ADAM;
    resetRuntimeOptions();
  });
  it('gives the same weights, norms and state as the TF.js ops', () => {
    const ops = run(false);
    const host = run(true);
    close([host.norms], [ops.norms], 1e-5);
    close(host.w, ops.w, 1e-5);
    close(host.state, ops.state, 1e-6);
  });
});

describe('AdamW per-parameter learning rates (lrScale)', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  afterEach(() => {
    delete process.env.CFM_HOST_ADAM;
    resetRuntimeOptions();
  });
  for (const host of [false, true])
    it(`moves a parameter with scale s by s times the step of one with scale 1, and one with scale 0 not at all (${host ? 'host' : 'TF ops'})`, () => {
      process.env.CFM_HOST_ADAM = host ? '1' : '0';
      resetRuntimeOptions();
      const init = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
      const names = ['head/kernel', 'encoder/kernel', 'frozen/kernel'];
      const vars = new Map(names.map((k) => [k, tf.variable(init.clone())]));
      const scales: Record<string, number> = { 'head/kernel': 1, 'encoder/kernel': 0.1, 'frozen/kernel': 0 };
      const opt = new AdamW(vars, { lr: 0.01, totalSteps: 10, lrScale: (k) => scales[k] }); // same gradients: same moments
      for (let s = 0; s < 3; s++) {
        const g = tf.randomNormal([4, 3], 0, 1, 'float32', 30 + s);
        const n = opt.apply(Object.fromEntries(names.map((k) => [k, g])));
        tf.dispose([n, g]);
      }
      const start = init.dataSync();
      const moved = (k: string) => Array.from(vars.get(k)!.dataSync(), (x, i) => x - start[i]);
      const [head, enc, frozen] = names.map(moved);
      expect(frozen.every((d) => d === 0)).toBe(true);
      expect(head.some((d) => Math.abs(d) > 1e-3)).toBe(true);
      enc.forEach((d, i) => expect(d).toBeCloseTo(0.1 * head[i], 6));
      opt.dispose();
      vars.forEach((v) => v.dispose());
      init.dispose();
    });
  it('refuses a negative scale', () => {
    const v = tf.variable(tf.zeros([2]));
    expect(() => new AdamW(new Map([['x', v]]), { lr: 0.01, totalSteps: 1, lrScale: () => -1 })).toThrow(/lrScale of "x" is -1/);
    v.dispose();
  });
});
