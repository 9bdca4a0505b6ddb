/** One 2-block encoder training step ([256, 50, 64], dropout 0.1), forward only and forward + backward, 5 steps:
 *   CFM_BACKEND=tensorflow npx tsx scripts/bench/train-encoder.ts   (CFM_FUSED_BLOCK=0: op by op; CFM_KERNEL_TIMING=1: per-phase ms) */
import * as tf from '@tensorflow/tfjs';
import { runtimeOptions } from '@cfm/core';
import { Ctx, initBackend, Params, TransformerEncoder } from '@cfm/tensor';
(async () => {
  await initBackend();
  const p = new Params(1);
  const enc = new TransformerEncoder(p, 'e', { dModel: 64, nHeads: 2, nLayers: 2, dropout: 0.1, attnDropout: 0.1 });
  const x = tf.randomNormal([256, 50, 64]);
  const mask = tf.ones([256, 50]);
  const vars = [...p.trainable().values()];
  const step = (i: number, back: boolean) =>
    tf.tidy(() => {
      if (!back) {
        enc.apply(x, mask, new Ctx(true, i)).dataSync();
        return;
      }
      const { value, grads } = tf.variableGrads(() => tf.sum(enc.apply(x, mask, new Ctx(true, i))) as tf.Scalar, vars);
      value.dataSync();
      Object.values(grads).forEach((g) => g.dataSync());
    });
  for (const back of [false, true]) {
    step(0, back);
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    for (let i = 1; i <= 5; i++) step(i, back);
    const c = process.cpuUsage(c0);
    console.log(
      runtimeOptions().CFM_FUSED_BLOCK ? 'fused' : 'ops  ',
      back ? 'fwd+bwd' : 'fwd    ',
      'wall ms',
      (Date.now() - t0) / 5,
      'cpu ms',
      ((c.user + c.system) / 5e3).toFixed(1),
    );
  }
})();
