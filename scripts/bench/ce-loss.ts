import * as tf from '@tensorflow/tfjs';
import { initBackend, softmaxCrossEntropy } from '@cfm/tensor';
function reference(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const v = logits.shape[1]!;
  return tf.mean(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels.toInt(), v)), -1))) as tf.Scalar;
}
(async () => {
  const b = await initBackend();
  const x = tf.randomNormal([1400, 12105]);
  const y = tf.randomUniform([1400], 4, 12105, 'int32');
  const time = (f: (x: tf.Tensor) => tf.Scalar) => {
    const g = tf.grad(f);
    for (let i = 0; i < 2; i++) tf.tidy(() => g(x).dataSync());
    const t0 = process.cpuUsage();
    const w0 = Date.now();
    for (let i = 0; i < 10; i++) tf.tidy(() => g(x).dataSync());
    const c = process.cpuUsage(t0);
    return { wallMs: (Date.now() - w0) / 10, cpuMs: (c.user + c.system) / 1e4 };
  };
  const ref = time((x) => reference(x, y));
  const fused = time((x) => softmaxCrossEntropy(x, y, null));
  console.log(b.name, 'one-hot reference', ref, 'fused', fused, 'cpu ratio', (ref.cpuMs / fused.cpuMs).toFixed(2));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
