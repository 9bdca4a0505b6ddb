import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from '../test-backend';
import { Ctx, Params } from '../params';
import { TransformerEncoder } from './transformer';

describe('TransformerEncoder lastOnly', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  it.each([false, true])('gives the last slot of the full pass (preNorm %s, with padding)', (preNorm) => {
    const p = new Params(3);
    const enc = new TransformerEncoder(p, 'enc', { dModel: 16, nHeads: 2, nLayers: 2, dropout: 0.1, preNorm });
    const x = tf.randomNormal([3, 7, 16], 0, 1, 'float32', 5);
    const mask = tf.tensor2d([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1, 1]]);
    const full = enc.apply(x, mask, Ctx.inference());
    const last = enc.apply(x, mask, Ctx.inference(), true);
    expect(last.shape).toEqual([3, 1, 16]);
    const want = full.slice([0, 6, 0], [-1, 1, -1]);
    expect(tf.max(tf.abs(tf.sub(last, want))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, mask, full, last, want]);
    p.dispose();
  });
});
