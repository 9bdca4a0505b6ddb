import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from './test-backend';
import { jsUniform, uniform } from './random';
import { dropout } from './ops';

describe('uniform noise and dropout', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  it.each([
    ['active backend', uniform],
    ['portable hash', jsUniform],
  ])('%s: uniform is in [0, 1), near mean 0.5, and a pure function of the seed', (_, f) => {
    const a = f([300, 100], 42).dataSync();
    const b = f([300, 100], 42).dataSync();
    const c = f([300, 100], 43).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    let same = 0;
    let sum = 0;
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === c[i]) same++;
      sum += a[i];
      if (a[i] < 0.1) lo++;
      expect(a[i] >= 0 && a[i] < 1).toBe(true);
    }
    expect(same).toBeLessThan(a.length / 100);
    expect(sum / a.length).toBeCloseTo(0.5, 1.5);
    expect(lo / a.length).toBeGreaterThan(0.09); // the low decile holds ~10 %
    expect(lo / a.length).toBeLessThan(0.11);
  });
  it('seeds beyond 2^31 still differ', () => {
    const a = uniform([1000], 2 ** 40 + 1).dataSync();
    const b = uniform([1000], 2 ** 40 + 2).dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
  it('dropout zeroes about `rate` of the values, scales the rest by 1/keep, and passes the same mask as gradient', () => {
    const x = tf.ones([200, 50]);
    const before = tf.memory().numTensors;
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(dropout(t, 0.3, 7)) as tf.Scalar)(x);
    const yt = dropout(x, 0.3, 7);
    const y = yt.dataSync();
    const g = grad.dataSync();
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.27);
    expect(zeros).toBeLessThan(0.33);
    for (let i = 0; i < y.length; i++) {
      expect(y[i] === 0 || Math.abs(y[i] - 1 / 0.7) < 1e-6).toBe(true);
      expect(g[i]).toBeCloseTo(y[i], 6); // d(sum(x · mask))/dx = mask
    }
    const total = Array.from(y as Float32Array).reduce((a, v) => a + v, 0);
    expect(Math.abs(value.dataSync()[0] - total) / total).toBeLessThan(1e-4); // float32 sum
    tf.dispose([value, grad, yt]);
    expect(tf.memory().numTensors).toBe(before);
    expect(dropout(x, 0.3, undefined)).toBe(x); // inference: identity
    x.dispose();
  });
});
