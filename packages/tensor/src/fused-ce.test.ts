import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { initTestBackend } from './test-backend';
import { fusedCeActive, fusedCeAddonPath, linearSoftmaxCE, nativeKernelsReady } from './fused-ce';
import { backendInfo } from './backend';
import { softmaxCrossEntropy } from './losses';

const active = async () => (await initTestBackend(), fusedCeActive());

/** value and gradients of the unfused form: CE over z · wᵀ as TF.js ops */
function unfused(z: tf.Tensor2D, w: tf.Tensor2D, labels: tf.Tensor1D, ignore: number | null) {
  return tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => softmaxCrossEntropy(tf.matMul(a, b, false, true), labels, ignore))([z, w]);
}

describe('linearSoftmaxCE', () => {
  beforeAll(async () => {
    await initTestBackend();
    if (!fusedCeActive())
      console.warn(
        'fused-ce: addon not built or backend not CPU tensorflow; only the TF.js path is tested (bash infra/native-kernels/provision.sh)',
      );
  });
  it('runs natively wherever the addon is built and the backend is CPU TensorFlow', () => {
    const b = backendInfo(); // undefined on the wasm test backend (set without initBackend)
    if (b?.name === 'tensorflow' && !b.gpu && fusedCeAddonPath()) expect(fusedCeActive()).toBe(true);
    else expect(fusedCeActive()).toBe(false);
  });
  it('is turned off by CFM_FUSED_CE=0 and stops on a bad thread count, naming the variable', () => {
    process.env.CFM_FUSED_CE = '0';
    resetRuntimeOptions();
    expect(fusedCeActive()).toBe(false);
    delete process.env.CFM_FUSED_CE;
    resetRuntimeOptions();
    expect(fusedCeActive()).toBe(nativeKernelsReady());
    process.env.CFM_FUSED_CE_THREADS = 'two';
    resetRuntimeOptions();
    expect(() => fusedCeActive()).toThrow(/field "CFM_FUSED_CE_THREADS"/);
  });
  afterEach(() => {
    delete process.env.CFM_FUSED_CE;
    delete process.env.CFM_FUSED_CE_CHUNK;
    delete process.env.CFM_FUSED_CE_THREADS;
    resetRuntimeOptions();
  });
  it.each([
    [null, '128', '2'],
    [0, '7', '2'], // chunks of 7 rows that do not divide 45, two threads
    [0, '4', '1'],
  ])('matches CE over the materialised logits (ignore %s, chunk %s, threads %s)', (ignore, chunk, threads) => {
    process.env.CFM_FUSED_CE_CHUNK = chunk;
    process.env.CFM_FUSED_CE_THREADS = threads;
    resetRuntimeOptions();
    const z = tf.randomNormal([45, 9], 0, 1, 'float32', 3) as tf.Tensor2D;
    const w = tf.randomNormal([301, 9], 0, 1, 'float32', 4) as tf.Tensor2D;
    const labels = tf.tensor1d(
      Array.from({ length: 45 }, (_, i) => (i % 5 === 0 ? 0 : (i * 37) % 301)),
      'int32',
    );
    const ours = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => linearSoftmaxCE(a as tf.Tensor2D, b as tf.Tensor2D, labels, ignore))([
      z,
      w,
    ]);
    const ref = unfused(z, w, labels, ignore);
    expect(ours.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 4);
    for (let i = 0; i < 2; i++) expect(tf.max(tf.abs(tf.sub(ours.grads[i], ref.grads[i]))).dataSync()[0]).toBeLessThan(2e-5);
    tf.dispose([z, w, labels, ours.value, ref.value, ...ours.grads, ...ref.grads]);
  });
  it('gives the same numbers on every run (fixed row blocks per thread)', async () => {
    if (!(await active())) return;
    const z = tf.randomNormal([300, 17], 0, 1, 'float32', 5) as tf.Tensor2D;
    const w = tf.randomNormal([1000, 17], 0, 1, 'float32', 6) as tf.Tensor2D;
    const labels = tf.randomUniform([300], 1, 1000, 'int32', 7) as tf.Tensor1D;
    const run = () =>
      tf.tidy(() =>
        tf
          .grads((a: tf.Tensor, b: tf.Tensor) => linearSoftmaxCE(a as tf.Tensor2D, b as tf.Tensor2D, labels))([z, w])
          .map((g) => Array.from(g.dataSync())),
      );
    expect(run()).toEqual(run());
    tf.dispose([z, w, labels]);
  });
  it('leaks no tensors across a gradient step', () => {
    const z = tf.randomNormal([20, 5]) as tf.Tensor2D;
    const w = tf.randomNormal([50, 5]) as tf.Tensor2D;
    const labels = tf.tensor1d(
      Array.from({ length: 20 }, (_, i) => i + 1),
      'int32',
    );
    const f = tf.grads((a: tf.Tensor, b: tf.Tensor) => linearSoftmaxCE(a as tf.Tensor2D, b as tf.Tensor2D, labels));
    tf.dispose(f([z, w]));
    const before = tf.memory().numTensors;
    tf.dispose(f([z, w]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, w, labels]);
  });
  it('rejects labels outside the vocabulary with a clear error', async () => {
    if (!(await active())) return;
    const z = tf.zeros([2, 3]) as tf.Tensor2D;
    const w = tf.zeros([4, 3]) as tf.Tensor2D;
    const labels = tf.tensor1d([1, 9], 'int32');
    expect(() => linearSoftmaxCE(z, w, labels)).toThrow(/label is outside/);
    tf.dispose([z, w, labels]);
  });
});
