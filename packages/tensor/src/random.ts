/** Seeded uniform [0, 1) noise for dropout masks, made where it is fast: on native TensorFlow its
 * StatelessRandomUniform op (native-kernels.ts); elsewhere a counter-based hash in a tight JavaScript loop
 * (about 10× faster than tf.randomUniform's per-element alea generator). Deterministic for a given seed. */
import * as tf from '@tensorflow/tfjs';
import { hasNativeKernels, seedPair, UNIFORM } from './native-kernels';

/** 32-bit mix of (seed, counter): a splitmix-style finaliser, good enough for dropout masks */
export function jsUniform(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const [lo, hi] = seedPair(seed);
  const k = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 0x632be5ab, 0x85ebca6b)) | 0;
  for (let i = 0; i < n; i++) {
    let h = (i + k) | 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    h ^= h >>> 16;
    out[i] = (h >>> 8) / 16777216; // 24 bits → [0, 1)
  }
  return tf.tensor(out, shape, 'float32');
}

/** uniform [0, 1) noise of `shape`, a pure function of `seed` on each backend */
export function uniform(shape: number[], seed: number): tf.Tensor {
  if (hasNativeKernels()) return tf.engine().runKernel(UNIFORM, {}, { shape, seed } as unknown as tf.NamedAttrMap) as tf.Tensor;
  return jsUniform(shape, seed);
}
