import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRng, isCfmError, resetRuntimeOptions } from '@cfm/core';
import { backendInfo, initBackend, loadNative, resolvePreference, type BackendName } from './backend';

// Native TensorFlow is optional: find out once, at collection time, whether it loads here.
let nativeWhy = '';
try {
  loadNative();
} catch (e) {
  nativeWhy = (e as Error).message;
}
const requireNative = process.env.CFM_REQUIRE_NATIVE === '1';

/** A miniature BERT4Rec step: gather + learned positions, 2-head self-attention (batched matmuls), GELU FFN,
 * layer norm, softmax over the items tied to the embedding, Adam. Same seeded weights on every backend. */
function trainSteps(steps: number): { losses: number[]; grads: ArrayLike<number>; emb: ArrayLike<number> } {
  const V = 40,
    D = 16,
    H = 2,
    L = 6,
    B = 4,
    F = 32;
  const rng = createRng(7);
  const init = (shape: number[]) =>
    tf.variable(
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal() * 0.2),
        shape,
      ),
    );
  const ids = Int32Array.from({ length: B * L }, () => 4 + rng.int(V - 4));
  const targets = Int32Array.from({ length: B * L }, () => 4 + rng.int(V - 4));
  return tf.tidy(() => {
    const E = init([V, D]),
      P = init([L, D]),
      Wq = init([D, D]),
      Wk = init([D, D]),
      Wv = init([D, D]),
      Wo = init([D, D]);
    const W1 = init([D, F]),
      W2 = init([F, D]);
    const vars = [E, P, Wq, Wk, Wv, Wo, W1, W2];
    const idsT = tf.tensor1d(ids, 'int32');
    const y = tf.oneHot(tf.tensor1d(targets, 'int32'), V); // [B*L, V]
    const ln = (x: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return x.sub(mean).div(variance.add(1e-5).sqrt()) as tf.Tensor2D;
    };
    const gelu = (x: tf.Tensor) => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
    const heads = (x: tf.Tensor) => x.reshape([B, L, H, D / H]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [B,H,L,dh]
    const loss = () => {
      const x = tf
        .gather(E, idsT)
        .reshape([B, L, D])
        .add(P)
        .reshape([B * L, D]) as tf.Tensor2D; // [B*L, D]
      const att = tf.softmax(
        tf.matMul(heads(x.matMul(Wq as tf.Tensor2D)), heads(x.matMul(Wk as tf.Tensor2D)), false, true).div(Math.sqrt(D / H)),
      ); // [B,H,L,L]
      const ctx = tf
        .matMul(att, heads(x.matMul(Wv as tf.Tensor2D)))
        .transpose([0, 2, 1, 3])
        .reshape([B * L, D]) as tf.Tensor2D;
      const h = ln(x.add(ctx.matMul(Wo)));
      const h2 = ln(h.add((gelu(h.matMul(W1)) as tf.Tensor2D).matMul(W2)));
      const logits = h2.matMul(E, false, true); // [B*L, V]
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    };
    const { grads } = tf.variableGrads(loss, vars);
    const g = grads[E.name].dataSync().slice();
    const opt = tf.train.adam(1e-2);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) losses.push(opt.minimize(loss, true, vars)!.dataSync()[0]);
    const emb = E.dataSync().slice();
    opt.dispose();
    vars.forEach((v) => v.dispose());
    return { losses, grads: g, emb };
  });
}

async function runOn(name: BackendName) {
  await initBackend({ prefer: name, quiet: true });
  expect(tf.getBackend()).toBe(name);
  return trainSteps(3);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectSameTraining(a: ReturnType<typeof trainSteps>, b: ReturnType<typeof trainSteps>, label: string) {
  const dLoss = maxAbsDiff(a.losses, b.losses),
    dGrad = maxAbsDiff(a.grads, b.grads),
    dEmb = maxAbsDiff(a.emb, b.emb);
  // the line provision.sh prints as its verification result
  process.stdout.write(
    `backend-check: ${label} losses ${a.losses.map((l) => l.toFixed(5)).join(' ')} | max |Δloss| ${dLoss.toExponential(2)} |Δgrad| ${dGrad.toExponential(2)} |Δweights| ${dEmb.toExponential(2)}\n`,
  );
  expect(a.losses[2]).toBeLessThan(a.losses[0]); // it trains
  expect(dLoss).toBeLessThan(1e-4);
  expect(dGrad).toBeLessThan(1e-5);
  expect(dEmb).toBeLessThan(1e-4);
}

describe('backend selection', () => {
  const saved = process.env.CFM_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.CFM_BACKEND;
    else process.env.CFM_BACKEND = saved;
    resetRuntimeOptions();
    vi.restoreAllMocks();
  });

  it('reads CFM_BACKEND and rejects an unknown value, naming the variable', () => {
    process.env.CFM_BACKEND = ' WASM ';
    resetRuntimeOptions();
    expect(resolvePreference()).toBe('wasm');
    expect(resolvePreference({ prefer: 'cpu' })).toBe('cpu');
    process.env.CFM_BACKEND = 'cuda';
    resetRuntimeOptions();
    try {
      resolvePreference();
      expect.unreachable();
    } catch (e) {
      expect(isCfmError(e)).toBe(true);
      expect((e as Error).message).toContain('CFM_BACKEND');
    }
  });

  it('picks native TensorFlow when it loads and wasm otherwise, logging one line once', async () => {
    delete process.env.CFM_BACKEND;
    resetRuntimeOptions();
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    const a = await initBackend();
    const b = await initBackend();
    expect(b).toBe(a);
    expect(backendInfo()).toBe(a);
    expect(a.name).toBe(nativeWhy ? 'wasm' : 'tensorflow');
    expect(tf.getBackend()).toBe(a.name);
    const logged = lines.filter((l) => l.startsWith('backend: '));
    expect(logged).toHaveLength(1);
    if (nativeWhy) expect(logged[0]).toMatch(/^backend: wasm \(native TensorFlow not installed: /);
  });

  it('an explicit preference that cannot load throws CFM_E_BACKEND instead of falling back', async () => {
    if (!nativeWhy) return expect((await initBackend({ prefer: 'tensorflow', quiet: true })).name).toBe('tensorflow');
    await expect(initBackend({ prefer: 'tensorflow', quiet: true })).rejects.toThrow(/CFM_E_BACKEND/);
  });
});

describe('kernels agree across backends (same seed, 3 Adam steps of a miniature BERT4Rec)', () => {
  it('wasm matches the pure-JS cpu reference', async () => {
    expectSameTraining(await runOn('wasm'), await runOn('cpu'), 'wasm vs cpu');
  });

  const title =
    nativeWhy && !requireNative
      ? `native TensorFlow matches wasm — SKIPPED, native TensorFlow not provisioned here (${nativeWhy})`
      : 'native TensorFlow matches wasm';
  it.skipIf(nativeWhy !== '' && !requireNative)(title, async () => {
    if (nativeWhy) throw new Error(`CFM_REQUIRE_NATIVE=1 but ${nativeWhy}`);
    expectSameTraining(await runOn('tensorflow'), await runOn('wasm'), 'tensorflow vs wasm');
  });
});
