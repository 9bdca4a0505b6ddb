import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from './test-backend';
import { softmaxCrossEntropy } from './losses';

/** the textbook form the fused loss replaces: -Σ onehot · logSoftmax, masked mean */
function reference(logits: tf.Tensor2D, labels: tf.Tensor1D, ignore: number | null): tf.Scalar {
  const v = logits.shape[1];
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, v)), -1));
  if (ignore === null) return tf.mean(nll) as tf.Scalar;
  const keep = tf.notEqual(labels, ignore).toFloat();
  return tf.div(tf.sum(tf.mul(nll, keep)), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
}

describe('softmaxCrossEntropy (fused)', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  it.each([null, 0])('matches the one-hot reference in value and gradient (ignore %s)', (ignore) => {
    const logits = tf.randomNormal([6, 11], 0, 3, 'float32', 7) as tf.Tensor2D;
    const labels = tf.tensor1d([3, 0, 10, 5, 0, 1], 'int32');
    const ours = tf.valueAndGrad((x: tf.Tensor) => softmaxCrossEntropy(x, labels, ignore))(logits);
    const ref = tf.valueAndGrad((x: tf.Tensor) => reference(x as tf.Tensor2D, labels, ignore))(logits);
    expect(ours.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0], 5);
    const diff = tf.max(tf.abs(tf.sub(ours.grad, ref.grad))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([logits, labels, ours.value, ours.grad, ref.value, ref.grad]);
  });
  it('leaks no tensors', () => {
    const logits = tf.randomNormal([4, 5]);
    const labels = tf.tensor1d([1, 2, 3, 4], 'int32');
    const before = tf.memory().numTensors;
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => softmaxCrossEntropy(x, labels))(logits);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, labels]);
  });
});
