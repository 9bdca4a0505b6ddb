import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Ctx, Params, paddingBias } from '@cfm/tensor';
import { ActivationUnit, DecoderBlock } from './backbone';
import { InterestEvolution } from './dien';

const [R, Q, L, D] = [3, 4, 6, 8];
const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
/** left-padded mask: request r has L − r real steps */
const mask = () =>
  tf.tensor2d(
    Array.from({ length: R * L }, (_, i) => (i % L >= Math.floor(i / L) ? 1 : 0)),
    [R, L],
  );

/** ‖∂ Σ(out ⊙ w) / ∂v‖ for every variable of p */
function gradNorms(p: Params, f: () => tf.Tensor): Record<string, number> {
  const w = rand(f().shape, 99);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(f(), w)) as tf.Scalar, [...p.vars.values()]);
  const out = Object.fromEntries([...p.vars].map(([k, v]) => [k, tf.norm(grads[v.name]).dataSync()[0]]));
  tf.dispose([w, value, ...Object.values(grads)]);
  return out;
}

describe('DMT decoder block (target attention + feed-forward, residuals, layer norm)', () => {
  it('maps [R, Q, D] queries over [R, L, D] memory to [R, Q, D], with gradient in every parameter, unlike attention alone', async () => {
    await tf.ready();
    const p = new Params(1, 0.1);
    const blk = new DecoderBlock(p, 'dec', D, 2, 0);
    expect([...p.vars.keys()].sort()).toEqual(
      [
        'dec/q/kernel',
        'dec/q/bias',
        'dec/k/kernel',
        'dec/k/bias',
        'dec/v/kernel',
        'dec/v/bias',
        'dec/o/kernel',
        'dec/o/bias',
        'dec/ff1/kernel',
        'dec/ff1/bias',
        'dec/ff2/kernel',
        'dec/ff2/bias',
        'dec/ln1/gamma',
        'dec/ln1/beta',
        'dec/ln2/gamma',
        'dec/ln2/beta',
      ].sort(),
    );
    const [q, mem, m] = [rand([R, Q, D], 1), rand([R, L, D], 2), mask()];
    const out = blk.apply(q as tf.Tensor3D, mem as tf.Tensor3D, m, Ctx.inference());
    expect(out.shape).toEqual([R, Q, D]);
    // post-norm: every output row has mean 0, variance 1 (gamma 1, beta 0 at init)
    const mean = tf.mean(out, -1).abs().max().dataSync()[0];
    expect(mean).toBeLessThan(1e-4);
    const attnOnly = blk.attn.apply(q, mem, paddingBias(m), Ctx.inference());
    expect(tf.max(tf.abs(tf.sub(out, attnOnly))).dataSync()[0]).toBeGreaterThan(0.1);
    const norms = gradNorms(p, () => blk.apply(q as tf.Tensor3D, mem as tf.Tensor3D, m, Ctx.inference()));
    expect(Object.keys(norms).length).toBe(16);
    // the key bias adds q · b_k to every score of a row, which softmax ignores: its gradient is zero in any attention
    for (const [k, n] of Object.entries(norms)) if (k !== 'dec/k/bias') expect(n, k).toBeGreaterThan(1e-6);
    // padding is not attended: changing a padded memory slot leaves the output unchanged
    const moved = tf.concat([tf.zeros([R, 1, D]).add(5), mem.slice([0, 1, 0], [R, L - 1, D])], 1); // slot 0 is padding for r ≥ 1
    const out2 = blk.apply(q as tf.Tensor3D, moved as tf.Tensor3D, m, Ctx.inference());
    expect(tf.max(tf.abs(tf.sub(out.slice([1], [R - 1]), out2.slice([1], [R - 1])))).dataSync()[0]).toBeLessThan(1e-5);
    p.dispose();
  });
});

describe("DIN's activation unit", () => {
  it('weights each behaviour by an MLP of [e, t, e − t, e ⊙ t], unnormalised, zero at padding; the interest is Σ w_j e_j', async () => {
    await tf.ready();
    const p = new Params(2, 0.3);
    const unit = new ActivationUnit(p, 'act', D, [5]);
    const [q, seq, m] = [rand([R, Q, D], 3) as tf.Tensor3D, rand([R, L, D], 4) as tf.Tensor3D, mask()];
    const w = unit.weights(q, seq, m, Ctx.inference());
    expect(w.shape).toEqual([R, Q, L]);
    const wv = w.arraySync();
    // by hand for one (request, target, behaviour)
    const [r, k, j] = [1, 2, 4];
    const e = seq.slice([r, j, 0], [1, 1, D]).reshape([1, D]);
    const t = q.slice([r, k, 0], [1, 1, D]).reshape([1, D]);
    const x = tf.concat([e, t, tf.sub(e, t), tf.mul(e, t)], 1);
    expect(wv[r][k][j]).toBeCloseTo(unit.mlp.apply(x, Ctx.inference()).dataSync()[0], 5);
    for (let rr = 0; rr < R; rr++) for (let kk = 0; kk < Q; kk++) for (let jj = 0; jj < rr; jj++) expect(Math.abs(wv[rr][kk][jj])).toBe(0);
    // not a softmax: the weights of a target do not sum to one
    const sums = tf.sum(w, -1).dataSync();
    expect(Math.max(...Array.from(sums, (s) => Math.abs(s - 1)))).toBeGreaterThan(0.05);
    const out = unit.apply(q, seq, m, Ctx.inference());
    expect(out.shape).toEqual([R, Q, D]);
    const byHand = tf.sum(tf.mul(w.expandDims(3), seq.expandDims(1)), 2);
    expect(tf.max(tf.abs(tf.sub(out, byHand))).dataSync()[0]).toBeLessThan(1e-5);
    const norms = gradNorms(p, () => unit.apply(q, seq, m, Ctx.inference()));
    expect(Object.keys(norms).length).toBe(4);
    for (const [name, n] of Object.entries(norms)) expect(n, name).toBeGreaterThan(1e-6);
    p.dispose();
  });
});

describe('DIEN interest extractor + AUGRU', () => {
  it('gives [R, Q, D], attention that sums to one over real steps, and is unchanged by extra left padding', async () => {
    await tf.ready();
    const p = new Params(3, 0.3);
    const dien = new InterestEvolution(p, 'dien', D);
    const [q, seq, m] = [rand([R, Q, D], 5) as tf.Tensor3D, rand([R, L, D], 6) as tf.Tensor3D, mask()];
    const out = dien.apply(q, seq, m);
    expect(out.shape).toEqual([R, Q, D]);
    const { a } = dien.interests(q, seq, m);
    const av = a.arraySync();
    for (let r = 0; r < R; r++)
      for (let k = 0; k < Q; k++) {
        expect(av[r][k].reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
        for (let j = 0; j < r; j++) expect(Math.abs(av[r][k][j])).toBe(0);
      }
    // two more padded steps in front: the same interests
    const seq2 = tf.concat([tf.zeros([R, 2, D]).add(3), seq], 1) as tf.Tensor3D;
    const m2 = tf.concat([tf.zeros([R, 2]), m], 1) as tf.Tensor2D;
    expect(tf.max(tf.abs(tf.sub(dien.apply(q, seq2, m2), out))).dataSync()[0]).toBeLessThan(1e-5);
    // the state depends on the target (attention gates the update)
    expect(tf.max(tf.abs(tf.sub(out.slice([0, 0], [R, 1]), out.slice([0, 1], [R, 1])))).dataSync()[0]).toBeGreaterThan(1e-3);
    // a batch where no request has the behaviour: zeros
    expect(tf.max(tf.abs(dien.apply(q, tf.zeros([R, 0, D]), tf.zeros([R, 0])))).dataSync()[0]).toBe(0);
    // one step (a batch whose longest history is one event): gradient still flows (tf.unstack's would throw)
    const one = gradNorms(p, () => dien.apply(q, seq.slice([0, L - 1], [R, 1]), m.slice([0, L - 1], [R, 1])));
    expect(one['dien/augru/input/kernel']).toBeGreaterThan(0);
    expect(one['dien/extractor/input/kernel']).toBeGreaterThan(0);
    const norms = gradNorms(p, () => dien.apply(q, seq, m));
    expect(Object.keys(norms).sort()).toEqual(
      [
        'dien/extractor/input/kernel',
        'dien/extractor/input/bias',
        'dien/extractor/recurrent',
        'dien/attention/kernel',
        'dien/augru/input/kernel',
        'dien/augru/input/bias',
        'dien/augru/recurrent',
      ].sort(),
    );
    for (const [name, n] of Object.entries(norms)) expect(n, name).toBeGreaterThan(1e-6);
    p.dispose();
  });

  it('learns a toy task: is the target among the behaviours (loss falls)', async () => {
    await tf.ready();
    const p = new Params(4, 0.3);
    const dien = new InterestEvolution(p, 'dien', D);
    const head = p.add('head', [D, 1]);
    const items = rand([20, D], 7);
    const rng = (i: number) => (Math.imul(i + 1, 2654435761) >>> 0) % 20;
    const seqIds = Array.from({ length: 8 * L }, (_, i) => rng(i));
    const tgtIds = Array.from({ length: 8 * Q }, (_, i) => (i % 2 ? seqIds[Math.floor(i / Q) * L + (i % L)] : rng(1000 + i)));
    const labels = tf.tensor2d(
      tgtIds.map((t, i) => (seqIds.slice(Math.floor(i / Q) * L, Math.floor(i / Q) * L + L).includes(t) ? 1 : 0)),
      [8 * Q, 1],
    );
    const seq = tf.gather(items, seqIds).reshape([8, L, D]) as tf.Tensor3D;
    const q = tf.gather(items, tgtIds).reshape([8, Q, D]) as tf.Tensor3D;
    const m = tf.ones([8, L]) as tf.Tensor2D;
    const loss = () =>
      tf.losses.sigmoidCrossEntropy(
        labels,
        tf.matMul(tf.mul(dien.apply(q, seq, m), q).reshape([8 * Q, D]), head as tf.Tensor2D),
      ) as tf.Scalar;
    const opt = tf.train.adam(0.03);
    const first = loss().dataSync()[0];
    for (let i = 0; i < 60; i++) tf.dispose(opt.minimize(loss, true, [...p.vars.values()]) ?? []);
    const last = loss().dataSync()[0];
    expect(last).toBeLessThan(0.7 * first);
    opt.dispose();
    p.dispose();
  }, 120_000);
});
