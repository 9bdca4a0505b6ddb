import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerWasmKernels } from './wasm-kernels';

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  await tf.setBackend(name);
  await tf.ready();
  return f();
}

describe('wasm kernels match the cpu backend', () => {
  it('UnsortedSegmentSum (forward and as the gradient of gather)', async () => {
    registerWasmKernels();
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor2d([
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ]);
        const ids = tf.tensor1d([2, 0, 2, 5], 'int32');
        const seg = tf.unsortedSegmentSum(x, ids, 4).arraySync();
        const table = tf.tensor2d([
          [0.5, 1],
          [2, 3],
          [4, -1],
        ]);
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.gather(t, tf.tensor1d([1, 1, 2, 0], 'int32')),
              tf.tensor2d([
                [1, 2],
                [3, 4],
                [5, 6],
                [7, 8],
              ]),
            ),
          ),
        )(table);
        return { seg, g: g.arraySync() };
      });
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    expect(wasm).toEqual(cpu);
    expect(wasm.seg[2]).toEqual([6, 8]);
  });
});
