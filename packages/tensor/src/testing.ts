/** Test fixtures and the shared conformance suite every family's tests call:
 *   describeCustomerModel(bert4rec, tinyConfig, () => syntheticPrepared())
 * Imported from `@cfm/tensor/testing` (vitest must be available to the caller). */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
  createRng,
  RESERVED_IDS,
  RESERVED_TOKENS,
  padBatch,
  type CustomerModel,
  type CustomerSequences,
  type ModelFamily,
  type PreparedDataset,
  type Vocabulary,
} from '@cfm/core';
import { initTestBackend } from './test-backend';

function vocab(name: string, n: number): Vocabulary {
  const tokens = [...RESERVED_TOKENS, ...Array.from({ length: n }, (_, i) => `${name}${i}`)];
  return { name, tokens, hash: `${name}-${n}` };
}

function csr(rows: number[][], ids: string[]): CustomerSequences {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const items = Int32Array.from(rows.flat());
  return {
    customerIds: ids,
    offsets,
    items,
    types: new Int32Array(items.length).fill(RESERVED_IDS),
    times: Float64Array.from(items, (_, i) => i),
  };
}

/** A learnable leave-one-out dataset: each customer walks the item cycle from a random start
 * (item i is followed by item i+1), so next-item loss must fall quickly. */
export { initTestBackend };

export function syntheticPrepared(
  o: { customers?: number; items?: number; minLen?: number; maxLen?: number; seed?: number } = {},
): PreparedDataset {
  const { customers = 64, items = 30, minLen = 5, maxLen = 12, seed = 7 } = o;
  const rng = createRng(seed);
  const full = Array.from({ length: customers }, () => {
    const start = rng.int(items);
    const len = minLen + rng.int(maxLen - minLen + 1);
    return Array.from({ length: len }, (_, t) => RESERVED_IDS + ((start + t) % items));
  });
  const ids = full.map((_, i) => `c${i}`);
  const evalSet = (cut: number) => ({
    history: csr(
      full.map((s) => s.slice(0, s.length - cut)),
      ids,
    ),
    targets: Int32Array.from(full, (s) => s[s.length - cut]),
  });
  const nCat = 5;
  return {
    dataset: 'synthetic',
    split: 'loo',
    vocabs: { item: vocab('item', items), category1: vocab('cat', nCat), type: vocab('type', 1) },
    itemFeatures: {
      category1: Int32Array.from({ length: items + RESERVED_IDS }, (_, i) => (i < RESERVED_IDS ? 0 : RESERVED_IDS + (i % nCat))),
    },
    train: csr(
      full.map((s) => s.slice(0, s.length - 2)),
      ids,
    ),
    valid: evalSet(2),
    test: evalSet(1),
    manifest: { synthetic: true, seed },
  };
}

/** The conformance suite: embed shape, finite scores, loss decreases, save → load identical, no leaks. */
export function describeCustomerModel<C>(
  family: ModelFamily<C>,
  tinyConfig: Partial<C> | Record<string, unknown>,
  data: () => PreparedDataset,
  o: { epochs?: number } = {},
): void {
  describe(`${family.name} conformance`, () => {
    let d: PreparedDataset;
    let model: CustomerModel;
    let dir: string;
    const batch = () => padBatch(d.test.history, [0, 1, 2, 3, 4], { maxLen: 20, itemFeatures: d.itemFeatures });
    beforeAll(async () => {
      await initTestBackend();
      d = data();
      dir = mkdtempSync(join(tmpdir(), `cfm-${family.name}-`));
      model = family.create(family.config.parse({ ...tinyConfig, epochs: o.epochs ?? 4, seed: 1 }), {
        vocabs: d.vocabs,
        itemFeatures: d.itemFeatures,
      });
    });
    afterAll(() => {
      model?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it("states its maxLen (the config's) and the vocabulary of every task", () => {
      expect(model.maxLen).toBe((family.config.parse({ ...tinyConfig }) as { maxLen: number }).maxLen);
      expect(Object.keys(model.taskOutputs).sort()).toEqual([...model.tasks].sort());
    });

    it('embeds a batch as [B, embeddingDim] finite vectors', () => {
      const e = model.embed(batch());
      expect(e.length).toBe(5 * model.embeddingDim);
      expect(e.every(Number.isFinite)).toBe(true);
    });

    it('scores every task over given candidates and the full vocabulary with finite numbers', () => {
      for (const task of model.tasks) {
        const s = model.score(batch(), task, Int32Array.from([4, 5, 6]));
        expect(s.length).toBe(15);
        expect(s.every(Number.isFinite)).toBe(true);
        expect(model.score(batch(), task).length % 5).toBe(0);
      }
    });

    it('lowers its training loss within a few epochs and leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      const report = await model.fit(d);
      expect(tf.memory().numTensors).toBe(before);
      const h = report.history;
      expect(h.length).toBeGreaterThan(1);
      expect(h[h.length - 1].loss).toBeLessThan(h[0].loss);
    });

    it('saves and loads to identical outputs without leaking tensors', async () => {
      const manifest = await model.save(dir);
      expect(manifest.family).toBe(family.name);
      const loaded = await family.load(dir);
      const b = batch();
      expect(Array.from(loaded.embed(b))).toEqual(Array.from(model.embed(b)));
      expect(Array.from(loaded.score(b, loaded.tasks[0]))).toEqual(Array.from(model.score(b, model.tasks[0])));
      const before = tf.memory().numTensors;
      model.embed(b);
      model.score(b, model.tasks[0]);
      expect(tf.memory().numTensors).toBe(before);
      loaded.dispose();
    });
  });
}
