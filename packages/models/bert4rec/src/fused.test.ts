import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { Ctx, fusedEmbedActive, fusedHeadActive, nativeKernelsReady } from '@cfm/tensor';
import { initTestBackend, syntheticPrepared } from '@cfm/tensor/testing';
import { Bert4RecConfig, Bert4RecModel, ClozeSampler } from './index';

/** loss and every gradient of one Cloze step, with the native embedding and head kernels on or off */
function step(fused: boolean, maxLen: number) {
  process.env.CFM_FUSED_EMBED = process.env.CFM_FUSED_HEAD = fused ? '1' : '0';
  resetRuntimeOptions();
  const d = syntheticPrepared({ customers: 12, items: 25, minLen: 3, maxLen: 20 });
  const config = Bert4RecConfig.parse({
    dModel: 8,
    nHeads: 2,
    nLayers: 2,
    maxLen,
    batchSize: 5,
    dropout: 0.3,
    attnDropout: 0.2,
    maskProb: 0.5,
    seed: 4,
  });
  const model = new Bert4RecModel(config, d.vocabs.item.tokens.length, d.vocabs.item.hash);
  // non-zero biases and norms, so that their gradients are exercised
  for (const [, v] of model.params.trainable()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)));
  const b = new ClozeSampler(d.train, { ...config, seed: 4 }).batch(0, 1);
  const vars = [...model.params.trainable().values()];
  const active = fusedEmbedActive(new Ctx(true, 1)) && fusedHeadActive();
  // scaled by 2.5: the gradients must follow dy, not assume it is 1
  const out = tf.variableGrads(() => tf.mul(model.loss(b, new Ctx(true, 9)), 2.5) as tf.Scalar, vars);
  const res = {
    active,
    value: out.value.dataSync()[0],
    grads: vars.map((v) => Array.from(out.grads[v.name].dataSync())),
    names: [...model.params.trainable().keys()],
  };
  tf.dispose([out.value, ...Object.values(out.grads)]);
  return res;
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('BERT4Rec with the native embedding and output kernels', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  afterEach(() => {
    delete process.env.CFM_FUSED_EMBED;
    delete process.env.CFM_FUSED_HEAD;
    resetRuntimeOptions();
  });
  it.each([6, 30])('computes the same loss and gradients as the TF.js ops (maxLen %s)', (maxLen) => {
    const ops = step(false, maxLen);
    const fused = step(true, maxLen);
    expect(ops.active).toBe(false);
    expect(fused.active).toBe(nativeKernelsReady()); // native CPU TensorFlow with the addon built
    expect(fused.names).toEqual(ops.names);
    expect(Math.abs(fused.value - ops.value)).toBeLessThan(1e-4);
    fused.grads.forEach((g, i) => expect(maxDiff(g, ops.grads[i]), ops.names[i]).toBeLessThan(1e-4));
    expect(fused.grads.every((g) => g.some((x) => x !== 0))).toBe(true);
  });
});
