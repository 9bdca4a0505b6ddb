import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { Ctx, fusedBlockActive, fusedCeActive, fusedEmbedActive, nativeKernelsReady } from '@cfm/tensor';
import { initTestBackend, syntheticPrepared } from '@cfm/tensor/testing';
import { NextItemSampler, SasRecConfig, SasRecModel } from './index';

const SWITCHES = ['CFM_FUSED_EMBED', 'CFM_FUSED_BLOCK', 'CFM_FUSED_CE'];

/** loss and every gradient of one training step, with the native embedding, causal block and loss kernels on or off */
function step(fused: boolean, maxLen: number) {
  for (const s of SWITCHES) process.env[s] = fused ? '1' : '0';
  resetRuntimeOptions();
  const d = syntheticPrepared({ customers: 12, items: 25, minLen: 3, maxLen: 20 });
  const config = SasRecConfig.parse({ dModel: 8, nHeads: 2, nLayers: 2, maxLen, batchSize: 5, dropout: 0.3, attnDropout: 0.2, seed: 4 });
  const model = new SasRecModel(config, d.vocabs.item.tokens.length, d.vocabs.item.hash);
  for (const [, v] of model.params.trainable()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)));
  const b = new NextItemSampler(d.train, { ...config, seed: 4 }).batch(0, 1);
  const vars = [...model.params.trainable().values()];
  const ctx = new Ctx(true, 1);
  const active = fusedEmbedActive(ctx) && fusedCeActive() && model.backbone.encoder.blocks.every((blk) => fusedBlockActive(blk, ctx));
  const out = tf.variableGrads(() => tf.mul(model.loss(b, new Ctx(true, 9)), 2.5) as tf.Scalar, vars);
  const res = {
    active,
    value: out.value.dataSync()[0],
    grads: vars.map((v) => Array.from(out.grads[v.name].dataSync())),
    names: [...model.params.trainable().keys()],
  };
  tf.dispose([out.value, ...Object.values(out.grads)]);
  model.dispose();
  return res;
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('SASRec with the native embedding, causal block and loss kernels', () => {
  beforeAll(async () => {
    await initTestBackend();
  });
  afterEach(() => {
    for (const s of SWITCHES) delete process.env[s];
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
