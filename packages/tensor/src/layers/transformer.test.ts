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
    const mask = tf.tensor2d([
      [0, 0, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1],
    ]);
    const full = enc.apply(x, mask, Ctx.inference());
    const last = enc.apply(x, mask, Ctx.inference(), true);
    expect(last.shape).toEqual([3, 1, 16]);
    const want = full.slice([0, 6, 0], [-1, 1, -1]);
    expect(tf.max(tf.abs(tf.sub(last, want))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, mask, full, last, want]);
    p.dispose();
  });
});

describe('TransformerEncoder infer', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('equals apply at inference (preNorm %s, lastOnly %s, with padding and non-zero biases)', (preNorm, lastOnly) => {
    const p = new Params(7);
    const enc = new TransformerEncoder(p, 'enc', { dModel: 16, nHeads: 4, nLayers: 2, dropout: 0.1, preNorm });
    // biases and layer-norm parameters start at 0 / 1: move them so that every fold is exercised
    let s = 11;
    for (const [name, v] of p.vars)
      if (/bias|gamma|beta/.test(name)) v.assign(tf.randomNormal(v.shape, name.includes('gamma') ? 1 : 0, 0.5, 'float32', s++));
    const x = tf.randomNormal([3, 7, 16], 0, 1, 'float32', 5);
    const mask = tf.tensor2d([
      [0, 0, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1],
    ]);
    const want = enc.apply(x, mask, Ctx.inference(), lastOnly);
    const got = enc.infer(x, mask, lastOnly);
    expect(got.shape).toEqual(want.shape);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, mask, want, got]);
    p.dispose();
  });
});

describe('TransformerEncoder causal', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  const mask = () =>
    tf.tensor2d([
      [0, 0, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1],
    ]);
  it('keeps each real position independent of later positions, and the others see them', () => {
    const enc = (causal: boolean) =>
      new TransformerEncoder(new Params(3), 'enc', { dModel: 16, nHeads: 2, nLayers: 2, dropout: 0, causal });
    const x = tf.randomNormal([3, 7, 16], 0, 1, 'float32', 5);
    // change the inputs at positions 5 and 6 only
    const x2 = tf.concat([x.slice([0, 0, 0], [-1, 5, -1]), tf.randomNormal([3, 2, 16], 0, 1, 'float32', 6)], 1);
    const diffUpTo5 = (e: TransformerEncoder) => {
      const [a, b] = [e.apply(x, mask(), Ctx.inference()), e.apply(x2, mask(), Ctx.inference())];
      const real = mask().slice([0, 0], [-1, 5]).expandDims(2); // padding slots attend to padding and future alike: not compared
      return tf.max(tf.mul(tf.abs(tf.sub(a.slice([0, 0, 0], [-1, 5, -1]), b.slice([0, 0, 0], [-1, 5, -1]))), real)).dataSync()[0];
    };
    expect(diffUpTo5(enc(true))).toBe(0);
    expect(diffUpTo5(enc(false))).toBeGreaterThan(1e-3);
  });
  it.each([
    [false, true],
    [true, true],
    [false, false],
    [true, false],
  ])('infer and lastOnly equal the full causal pass (lastOnly %s, mask %s)', (lastOnly, masked) => {
    const p = new Params(7);
    const enc = new TransformerEncoder(p, 'enc', { dModel: 16, nHeads: 4, nLayers: 2, dropout: 0.1, causal: true });
    const x = tf.randomNormal([3, 7, 16], 0, 1, 'float32', 5);
    const m = masked ? mask() : undefined;
    const full = enc.apply(x, m, Ctx.inference());
    const want = lastOnly ? full.slice([0, 6, 0], [-1, 1, -1]) : full;
    for (const got of [enc.apply(x, m, Ctx.inference(), lastOnly), enc.infer(x, m, lastOnly)]) {
      expect(got.shape).toEqual(want.shape);
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    }
    p.dispose();
  });
});
