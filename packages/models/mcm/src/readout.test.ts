import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from '@cfm/tensor/testing';
import { attentionalScores, causalAttentionalScores, LABEL_SLICE } from './readout';

/** the readout as one autodiff expression over every label at once (what attentionalScores slices) */
function reference(z: tf.Tensor3D, pad: tf.Tensor2D, e: tf.Tensor2D): tf.Tensor2D {
  const [b, l, d] = z.shape;
  const logits = tf.matMul(z.reshape([b * l, d]), e, false, true).reshape([b, l, e.shape[0]]);
  const masked = tf.add(logits, pad.expandDims(2));
  const ex = tf.exp(tf.sub(masked, tf.max(masked, 1, true)));
  const a = tf.div(ex, tf.sum(ex, 1, true));
  return tf.sum(tf.mul(a, logits), 1) as tf.Tensor2D;
}

const close = (x: tf.Tensor, y: tf.Tensor, tol: number) => {
  const err = tf.max(tf.abs(tf.sub(x, y))).dataSync()[0];
  const scale = tf.max(tf.abs(y)).dataSync()[0];
  expect(err).toBeLessThan(tol * Math.max(1, scale));
};

describe('attentionalScores', () => {
  beforeAll(async () => {
    await initTestBackend();
  });

  it('matches the one-pass readout in value and gradient, across label slices and with padding', () => {
    const [b, l, d, v] = [3, 6, 8, LABEL_SLICE + 300];
    const z = tf.randomNormal([b, l, d], 0, 1, 'float32', 1) as tf.Tensor3D;
    const e = tf.randomNormal([v, d], 0, 0.5, 'float32', 2) as tf.Tensor2D;
    // row 0: all real; row 1: the first 2 positions padding; row 2: only the last position real
    const real = [
      [1, 1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 1],
    ];
    const pad = tf.tensor2d(real.map((r) => r.map((x) => (x ? 0 : -1e9))));
    const w = tf.randomNormal([b, v], 0, 1, 'float32', 3); // a loss Σ w·s, so every score's gradient differs
    const loss = (fn: typeof reference) => (zz: tf.Tensor, ee: tf.Tensor) =>
      tf.sum(tf.mul(fn(zz as tf.Tensor3D, pad, ee as tf.Tensor2D), w));
    close(attentionalScores(z, pad, e), reference(z, pad, e), 1e-4);
    const [dz, de] = tf.grads(loss(attentionalScores))([z, e]);
    const [dzRef, deRef] = tf.grads(loss(reference))([z, e]);
    close(dz, dzRef, 1e-3);
    close(de, deRef, 1e-3);
    // padding positions get no gradient; the labels of the second slice do get one
    const dzv = dz.arraySync() as number[][][];
    expect(dzv[1][0].every((x) => x === 0) && dzv[2][4].every((x) => x === 0)).toBe(true);
    expect(tf.max(tf.abs(de.slice([LABEL_SLICE, 0], [300, d]))).dataSync()[0]).toBeGreaterThan(0);
  });
});

describe('causalAttentionalScores', () => {
  it('equals the attentional readout of each prefix, position by position (padding left out)', () => {
    const [b, l, d, c] = [2, 5, 4, 7];
    const z = tf.randomNormal([b, l, d], 0, 1, 'float32', 3) as tf.Tensor3D;
    const e = tf.randomNormal([c, d], 0, 1, 'float32', 4) as tf.Tensor2D;
    const tok = tf.tensor2d([0, 0, 1, 1, 1, 1, 1, 1, 1, 1], [b, l], 'int32');
    const all = causalAttentionalScores(z, tok, e).arraySync() as number[][];
    for (let r = 0; r < b; r++)
      for (let t = 0; t < l; t++) {
        if (r === 0 && t < 2) continue; // padding positions carry no prefix
        // the prefix readout: attentionalScores over positions ≤ t (the rest masked as padding)
        const pad = tf.tensor2d([Array.from({ length: l }, (_, i) => (i <= t && (r > 0 || i >= 2) ? 0 : -1e9))]);
        const one = attentionalScores(z.slice([r, 0, 0], [1, l, d]) as tf.Tensor3D, pad, e).arraySync()[0];
        all[r * l + t].forEach((v, w) => expect(v).toBeCloseTo(one[w], 4));
      }
  });
});
