import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { initTestBackend } from './test-backend';
import { loadFusedCe, nativeKernelsReady } from './fused-ce';
import { seedPair } from './native-kernels';
import { uniform } from './random';
import { fusedBlockActive } from './fused-block';
import { Ctx, Params } from './params';
import { TransformerEncoder } from './layers/transformer';

/** value and gradients (x and every weight) of Σ y·R through a 2-block encoder, fused or op by op */
function run(fused: boolean, dropout: number, seed: number, causal = false) {
  process.env.CFM_FUSED_BLOCK = fused ? '1' : '0';
  resetRuntimeOptions();
  const p = new Params(11);
  const enc = new TransformerEncoder(p, 'enc', { dModel: 8, nHeads: 2, nLayers: 2, dropout, attnDropout: dropout / 2, causal });
  // small non-zero biases and norms, so their gradients are exercised
  for (const [, v] of p.trainable()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)));
  const x = tf.randomNormal([3, 7, 8], 0, 1, 'float32', 1);
  const r = tf.randomNormal([3, 7, 8], 0, 1, 'float32', 2);
  const mask = tf.tensor2d([
    [1, 1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0, 1, 1],
  ]);
  const vars = [...p.trainable().values()];
  const ctx = new Ctx(true, seed);
  const active = enc.blocks.every((b) => fusedBlockActive(b, ctx));
  const out = tf.variableGrads(() => tf.sum(tf.mul(enc.apply(x, mask, new Ctx(true, seed)), r)) as tf.Scalar, vars);
  const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(enc.apply(xx, mask, new Ctx(true, seed)), r)))(x);
  const res = {
    active,
    value: out.value.dataSync()[0],
    grads: vars.map((v) => Array.from(out.grads[v.name].dataSync())),
    gx: Array.from(gx.dataSync()),
  };
  tf.dispose([x, r, mask, out.value, gx, ...Object.values(out.grads)]);
  p.dispose?.();
  return res;
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('fused transformer block', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  afterEach(() => {
    delete process.env.CFM_FUSED_BLOCK;
    resetRuntimeOptions();
  });
  it.each([
    [0, false],
    [0.3, false],
    [0, true],
    [0.3, true],
  ])('computes the same value and gradients as the op-by-op block (dropout %s, causal %s)', (dropout, causal) => {
    const ops = run(false, dropout, 3, causal);
    const fused = run(true, dropout, 3, causal);
    expect(ops.active).toBe(false);
    expect(fused.active).toBe(nativeKernelsReady()); // native CPU TensorFlow with the addon built
    expect(Math.abs(fused.value - ops.value)).toBeLessThan(1e-4);
    expect(maxDiff(fused.gx, ops.gx)).toBeLessThan(1e-5);
    fused.grads.forEach((g, i) => expect(maxDiff(g, ops.grads[i])).toBeLessThan(5e-5)); // gradients up to ~11
  });
  it("makes the dropout noise of TensorFlow's StatelessRandomUniform, bit for bit", () => {
    if (!nativeKernelsReady()) return;
    const addon = loadFusedCe() as unknown as { uniform(out: Float32Array, s0: number, s1: number): void };
    for (const [n, seed] of [
      [10, 1],
      [1001, 12345],
      [4099, 2 ** 40 + 7],
    ]) {
      const want = uniform([n], seed).dataSync();
      const got = new Float32Array(n);
      addon.uniform(got, ...seedPair(seed));
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });
  it('gives the same numbers on every run', () => {
    expect(run(true, 0.3, 4)).toEqual(run(true, 0.3, 4));
  });
});
