import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@cfm/core';
import { auc, evaluateGroups } from '@cfm/eval';
import { groupSizes, libraryCandidates, loadGbdt, loadXgboost, trainGbdt } from './index';

const available = libraryCandidates().some((p) => existsSync(p));
if (!available) console.warn('@cfm/gbdt: libxgboost missing, run `bash infra/xgboost/provision.sh`; training tests skipped');
const dir = mkdtempSync(join(tmpdir(), 'cfm-gbdt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** XOR of two features plus 3 noise features. */
function xor(n: number, seed: number) {
  const rng = createRng(seed);
  const cols = 5;
  const features = new Float32Array(n * cols);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols; j++) features[i * cols + j] = rng.next();
    labels[i] = features[i * cols] > 0.5 !== features[i * cols + 1] > 0.5 ? 1 : 0;
  }
  return { features, labels, rows: n, cols };
}

/** Query groups of 20 candidates; the relevant one has the highest hidden score w·x + noise. */
function ranking(queries: number, seed: number) {
  const rng = createRng(seed);
  const size = 20,
    cols = 4,
    w = [1.5, -1, 0.5, 0];
  const rows = queries * size;
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let q = 0; q < queries; q++) {
    let best = -1,
      bestScore = -Infinity;
    for (let i = 0; i < size; i++) {
      const r = q * size + i;
      let s = 0.3 * rng.normal();
      for (let j = 0; j < cols; j++) s += w[j] * (features[r * cols + j] = rng.normal());
      if (s > bestScore) [best, bestScore] = [r, s];
    }
    labels[best] = 1;
  }
  return {
    features,
    labels,
    rows,
    cols,
    groups: new Uint32Array(queries).fill(size),
    offsets: Int32Array.from({ length: queries + 1 }, (_, q) => q * size),
  };
}

describe('missing library', () => {
  it('names the provisioning script', () => {
    expect(() => loadXgboost(['/nonexistent/libxgboost.so'])).toThrow(/CFM_E_BACKEND.*infra\/xgboost\/provision\.sh/);
  });
});

describe.skipIf(!available)('trainGbdt (XGBoost C API)', () => {
  const params = { objective: 'binary:logistic' as const, rounds: 40, maxDepth: 4, eta: 0.3, nthread: 2 };
  it('learns XOR-like data: held-out AUC > 0.95', async () => {
    const model = await trainGbdt({ ...xor(3000, 1), params });
    const test = xor(1000, 2);
    const p = model.predict(test.features, test.rows);
    expect(p.length).toBe(1000);
    expect(auc(p, test.labels)).toBeGreaterThan(0.95);
    model.dispose();
  });
  it('ranks with groups (rank:pairwise, rank:ndcg): held-out MRR well above random', async () => {
    const train = ranking(300, 3);
    const test = ranking(100, 4);
    const random = evaluateGroups({
      scores: Float32Array.from({ length: test.rows }, (_, i) => ((i * 7919) % 97) / 97),
      labels: test.labels,
      offsets: test.offsets,
      k: [20],
    }).metrics['mrr@20'];
    for (const objective of ['rank:pairwise', 'rank:ndcg'] as const) {
      const model = await trainGbdt({ ...train, params: { objective, rounds: 30, maxDepth: 4, nthread: 2 } });
      const mrr = evaluateGroups({ scores: model.predict(test.features, test.rows), labels: test.labels, offsets: test.offsets, k: [20] })
        .metrics['mrr@20'];
      expect(mrr).toBeGreaterThan(random + 0.25);
      model.dispose();
    }
  });
  it('saves and loads with identical predictions', async () => {
    const data = xor(1000, 5);
    const model = await trainGbdt({ ...data, params });
    const path = join(dir, 'model.json');
    model.save(path);
    const loaded = loadGbdt(path);
    expect(loaded.cols).toBe(5);
    expect(Array.from(loaded.predict(data.features, data.rows))).toEqual(Array.from(model.predict(data.features, data.rows)));
    model.dispose();
    loaded.dispose();
    expect(() => loaded.predict(data.features, data.rows)).toThrow(/CFM_E_STATE/);
  });
  it('is deterministic for a seed with row and column subsampling', async () => {
    const data = xor(1500, 6);
    const sub = { ...params, subsample: 0.7, colsampleBytree: 0.6, rounds: 15 };
    const run = async (seed: number) => {
      const m = await trainGbdt({ ...data, params: { ...sub, seed } });
      const p = Array.from(m.predict(data.features, data.rows));
      m.dispose();
      return p;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });
  it('stops early on the validation metric and keeps the best round', async () => {
    const model = await trainGbdt({
      ...xor(800, 9),
      valid: xor(400, 10),
      params: { ...params, rounds: 300, eta: 0.5, evalMetric: 'logloss' },
      earlyStoppingRounds: 5,
    });
    const best = model.info.bestIteration!;
    expect(model.info.history!.length).toBeLessThan(300);
    expect(model.info.history!.length).toBe(best + 6);
    expect(model.rounds).toBe(best + 1);
    model.dispose();
  });
  it("rejects bad input with the row and field, and unknown parameters with XGBoost's message", async () => {
    const data = xor(10, 1);
    data.labels[3] = Number.NaN;
    await expect(trainGbdt({ ...data, params })).rejects.toThrow(/row 3 field "labels"/);
    await expect(trainGbdt({ ...xor(10, 1), params: { ...params, objective: 'rank:ndcg' } })).rejects.toThrow(/needs groups/);
    await expect(trainGbdt({ ...xor(10, 1), params: { ...params, extra: { tree_method: 'nope' } } })).rejects.toThrow(
      /CFM_E_BACKEND.*failed: .+/,
    );
    expect(Array.from(groupSizes([7, 7, 9, 9, 9, 7]))).toEqual([2, 3, 1]);
  });
});
