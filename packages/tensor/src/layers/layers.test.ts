import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initTestBackend } from '../test-backend';
import { Ctx, Params } from '../params';
import { Mlp } from './dense';
import { FeatureEmbedding, Positions } from './embedding';
import { TransformerEncoder } from './transformer';
import { TargetAttention } from './readout';
import { Gru } from './gru';
import { Mmoe } from './mmoe';
import { binaryCrossEntropy, cosineLoss, mseLoss, sampledSoftmax, softmaxCrossEntropy, UncertaintyWeighting } from '../losses';

const ids = () =>
  tf.tensor2d(
    [
      [0, 0, 5, 6],
      [4, 7, 7, 5],
    ],
    [2, 4],
    'int32',
  ); // [B=2, L=4], left-padded
const mask = () =>
  tf.tensor2d([
    [0, 0, 1, 1],
    [1, 1, 1, 1],
  ]);

/** each case builds layers in a Params store and returns a scalar loss that exercises them */
const cases: Record<string, (p: Params) => (ctx: Ctx) => tf.Scalar> = {
  'feature embedding (average, sum, concat) + sinusoidal positions': (p) => {
    const e = ['average', 'sum', 'concat'].map((pool) => new FeatureEmbedding(p, `emb_${pool}`, { item: 8, cat: 3 }, 4, pool as 'sum'));
    const pos = new Positions(p, 'pos', 6, 4, 'sinusoidal');
    return () => {
      const x = { item: ids(), cat: tf.mod(ids(), 3) };
      const parts = e.map((l) => l.apply(x)); // [B, L, 4|4|8]
      return tf.add(tf.sum(tf.square(tf.add(parts[0], pos.apply(4)))), tf.add(tf.sum(parts[1]), tf.sum(tf.sin(parts[2])))) as tf.Scalar;
    };
  },
  'transformer encoder (post-norm, pre-norm) + learned positions + full softmax CE': (p) => {
    const emb = new FeatureEmbedding(p, 'emb', { item: 8 }, 8);
    const pos = new Positions(p, 'pos', 6, 8);
    const encs = [false, true].map(
      (pre) => new TransformerEncoder(p, `enc${pre}`, { dModel: 8, nHeads: 2, nLayers: 2, dropout: 0.1, preNorm: pre }),
    );
    return (ctx) => {
      let h = tf.add(emb.apply({ item: ids() }), pos.apply(4)); // [B, L, D]
      for (const enc of encs) h = enc.apply(h, mask(), ctx);
      const logits = tf.matMul(h.reshape([8, 8]), emb.table('item'), false, true); // [B*L, V]
      return softmaxCrossEntropy(logits, ids().flatten());
    };
  },
  'target attention readout + MLP + sampled softmax + cosine': (p) => {
    const emb = new FeatureEmbedding(p, 'emb', { item: 8 }, 8);
    const ta = new TargetAttention(p, 'ta', 8, 2);
    const mlp = new Mlp(p, 'mlp', [8, 16, 8], 'gelu', 0.1);
    return (ctx) => {
      const h = emb.apply({ item: ids() }); // [B, L, D]
      const q = mlp.apply(tf.gather(emb.table('item'), [5, 6]), ctx); // [B, D]
      const r = ta.apply(q, h, mask(), ctx); // [B, D]
      const neg = tf.gather(emb.table('item'), [1, 2, 3]);
      return tf.add(sampledSoftmax(r, q, neg), cosineLoss(r, q)) as tf.Scalar;
    };
  },
  'GRU with padding mask + MSE': (p) => {
    const emb = new FeatureEmbedding(p, 'emb', { item: 8 }, 6);
    const gru = new Gru(p, 'gru', 6, 5);
    return () => {
      const { outputs, last } = gru.apply(emb.apply({ item: ids() }), mask()); // [B, L, H], [B, H]
      const one = gru.apply(emb.apply({ item: ids().slice([0, 3], [2, 1]) }), mask().slice([0, 3], [2, 1])); // L = 1 (tf.unstack's gradient throws there)
      return tf.addN([mseLoss(last, tf.ones([2, 5])), tf.mean(outputs), tf.mean(one.last)]) as tf.Scalar;
    };
  },
  'MMoE + BCE + uncertainty weighting': (p) => {
    const m = new Mmoe(p, 'mmoe', 6, [8, 4], 3, ['click', 'buy']);
    const uw = new UncertaintyWeighting(p, 'uw', ['click', 'buy']);
    const x = p.add('x', [2, 6]);
    return (ctx) => {
      const { outputs, gates } = m.apply(x, ctx); // 2 × [B, 4], 2 × [B, 3]
      const l1 = binaryCrossEntropy(tf.sum(outputs[0], -1), tf.tensor1d([1, 0]));
      const l2 = binaryCrossEntropy(tf.sum(outputs[1], -1), tf.tensor1d([0, 1]), tf.tensor1d([1, 2]));
      return tf.add(uw.apply([l1, l2]), tf.mul(0.01, tf.sum(tf.square(gates[0])))) as tf.Scalar;
    };
  },
};

async function lossAndGrads(backend: string, build: (p: Params) => (ctx: Ctx) => tf.Scalar) {
  await initTestBackend(backend);
  const p = new Params(3);
  const f = build(p);
  const vars = [...p.trainable().values()];
  const { value, grads } = tf.variableGrads(() => f(new Ctx(true, 5)), vars);
  const out = { loss: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
  tf.dispose([value, ...Object.values(grads)]);
  p.dispose();
  return out;
}

describe('every shared layer trains on wasm with the gradients of the cpu backend', () => {
  it.each(Object.keys(cases))('%s', async (name) => {
    const cpu = await lossAndGrads('cpu', cases[name]);
    const wasm = await lossAndGrads('wasm', cases[name]);
    expect(Number.isFinite(wasm.loss)).toBe(true);
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    wasm.grads.forEach((g, i) => {
      expect(g.every(Number.isFinite)).toBe(true);
      g.forEach((x, j) => expect(Math.abs(x - cpu.grads[i][j])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.grads[i][j]))));
    });
    expect(wasm.grads.some((g) => g.some((x) => x !== 0))).toBe(true);
  });
});
