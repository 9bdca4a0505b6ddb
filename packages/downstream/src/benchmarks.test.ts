import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  PAD,
  RESERVED_TOKENS,
  resetRuntimeOptions,
  padBatch,
  type CustomerModel,
  type ModelFamily,
  type PreparedDataset,
  type SequenceBatch,
} from '@cfm/core';
import type { BenchmarkResult, BenchmarkSpec } from '@cfm/contracts';
import { Ctx } from '@cfm/tensor';
import { initTestBackend, syntheticPrepared } from '@cfm/tensor/testing';
import { bert4rec } from '@cfm/model-bert4rec';
import { mcm } from '@cfm/model-mcm';
import { runBenchmarks, taskSplit, targetingTask, xgboostMissing } from './index';

/** 150 customers walking an item cycle; users table: group (from the first item: learnable), spend (history length), some left out */
function data(): PreparedDataset {
  const d = syntheticPrepared({ customers: 150, items: 24, minLen: 8, maxLen: 16, seed: 3 });
  const h = d.train;
  const userLabels = Object.fromEntries(
    h.customerIds.flatMap((id, c) =>
      c % 10 === 9 ? [] : [[id, { group: h.items[h.offsets[c]] < 16 ? 'a' : 'b', spend: h.offsets[c + 1] - h.offsets[c] }]],
    ),
  );
  return { ...d, userLabels };
}

const base = { seed: 5, split: [0.6, 0.2, 0.2] as [number, number, number], repeats: 2, epochs: 2 };
const ALL: BenchmarkSpec[] = [
  { ...base, name: 'label-group', task: 'label', field: 'group', positive: ['a'] },
  { ...base, name: 'targeting-category1', task: 'targeting', feature: 'category1', value: 'most-common', window: 3 },
  { ...base, name: 'next-item', task: 'next-item', negatives: 5 },
  { ...base, name: 'finetune-spend', task: 'finetune', field: 'spend', threshold: 12, repeats: 1 },
];
const xgbRows = xgboostMissing() === null ? ['U-MLP', 'XGBoost'] : ['U-MLP'];

/** a trained tiny model of `family`, saved so `reload` can give fresh copies */
async function trained(family: ModelFamily<unknown>, cfg: Record<string, unknown>, d: PreparedDataset, dir: string) {
  const model = family.create(family.config.parse({ ...cfg, epochs: 1, seed: 1 }), d);
  (model as { progress?: unknown }).progress = quiet().progress;
  await model.fit(d);
  await model.save(dir);
  return { model, reload: () => family.load(dir) };
}

function quiet() {
  const lines: string[] = [];
  return { lines, progress: { start() {}, update() {}, finish() {}, log: (l: string) => void lines.push(l) } };
}

const probe = (d: PreparedDataset) => padBatch(d.train, [0, 1, 2, 3], { maxLen: 12, times: true });

function checkShapes(results: BenchmarkResult[], d: PreparedDataset) {
  expect(results.map((r) => [r.task, r.kind])).toEqual(ALL.map((s) => [s.name, s.task]));
  for (const r of results) {
    expect(r.split.train + r.split.valid + r.split.test).toBe(r.examples);
    expect(r.split.test).toBeGreaterThan(0);
    for (const row of r.rows)
      for (const [k, v] of Object.entries(row.metrics)) {
        expect(v, `${r.task} ${row.model} ${k}`).toBeGreaterThanOrEqual(0);
        expect(v, `${r.task} ${row.model} ${k}`).toBeLessThanOrEqual(1);
        expect(row.std[k]).toBeGreaterThanOrEqual(0);
      }
  }
  const [label, targeting, next, ft] = results;
  expect(label.examples).toBe(Object.keys(d.userLabels!).length);
  expect(label.rule).toMatch(/users\.group in \{a\}/);
  for (const r of [label, targeting]) {
    expect(r.rows.map((x) => x.model)).toEqual(xgbRows);
    for (const row of r.rows) expect(Object.keys(row.metrics).sort()).toEqual(['accuracy', 'auroc', 'f1']);
  }
  expect(targeting.rule).toMatch(/last 3 events .* category1 = \S+ \(the most bought value\)/);
  expect(next.rows.map((x) => x.model)).toEqual(['frozen user tower']);
  for (const k of ['hr@10', 'ndcg@10', 'mrr', 'cold/ndcg@10', 'cold/hr@10', 'heavy/ndcg@10', 'heavy/mrr'])
    expect(next.rows[0].metrics).toHaveProperty(k);
  expect(ft.rows.map((x) => x.model)).toEqual(['fine-tuned', 'frozen']);
  const [tuned, frozen] = ft.rows.map((x) => x.cost!);
  for (const c of [tuned, frozen]) {
    expect(c.msPerBatch).toBeGreaterThan(0);
    expect(c.trainSeconds).toBeGreaterThan(0);
  }
  expect(tuned.parameters).toBeGreaterThan(frozen.parameters); // the encoder's weights besides the same head
  expect(tuned.msPerBatch).toBeGreaterThan(frozen.msPerBatch); // encoder + head on histories vs the head on stored vectors
}

describe('runBenchmarks', () => {
  const d = data();
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-bench-'));
    dirs.push(dir);
    return dir;
  };
  beforeAll(() => initTestBackend());
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('runs the four tasks on a trained BERT4Rec without changing it, with progress lines and heartbeats', async () => {
    const { model, reload } = await trained(
      bert4rec,
      { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, lr: 1e-2, warmupSteps: 2 },
      d,
      tmp(),
    );
    const before = model.embed(probe(d));
    const q = quiet();
    const beats: unknown[] = [];
    const tensors = tf.memory().numTensors;
    const results = await runBenchmarks({ data: d, model, reload, tasks: ALL, progress: q.progress, heartbeat: (x) => beats.push(x) });
    expect(tf.memory().numTensors).toBe(tensors);
    checkShapes(results, d);
    expect(Array.from(model.embed(probe(d)))).toEqual(Array.from(before));
    for (const s of ALL) expect(q.lines.some((l) => l.startsWith(`benchmark ${s.name} (`))).toBe(true);
    expect(q.lines.filter((l) => l.startsWith('warning')).length).toBe(xgbRows.length === 1 ? 1 : 0);
    expect(beats.length).toBeGreaterThan(20);
    model.dispose();
  });

  it("adds a 'no pre-training' row to the finetune task when an untrained model can be built", async () => {
    const cfg = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, lr: 1e-2, warmupSteps: 2 };
    const { model, reload } = await trained(bert4rec, cfg, d, tmp());
    const fresh = async () => bert4rec.create(bert4rec.config.parse({ ...cfg, epochs: 1, seed: 1 }), d);
    const [r] = await runBenchmarks({ data: d, model, reload, fresh, tasks: [ALL[3]], progress: quiet().progress });
    expect(r.rows.map((x) => x.model)).toEqual(['fine-tuned', 'frozen', 'no pre-training']);
    const scratch = r.rows[2];
    expect(scratch.cost!.parameters).toBe(r.rows[0].cost!.parameters);
    expect(scratch.metrics.auroc).toBeGreaterThanOrEqual(0);
    model.dispose();
  });

  it('runs the four tasks on a trained MCM, and the same seed gives the same numbers', async () => {
    const { model, reload } = await trained(
      mcm,
      { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, batchSize: 16, lr: 1e-2, warmupSteps: 2, samplesPerSequence: 2 },
      d,
      tmp(),
    );
    const results = await runBenchmarks({ data: d, model, reload, tasks: ALL, progress: quiet().progress });
    checkShapes(results, d);
    const again = await runBenchmarks({ data: d, model, reload, tasks: ALL.slice(0, 3), progress: quiet().progress });
    expect(again.map((r) => r.rows)).toEqual(results.slice(0, 3).map((r) => r.rows));
    const other = await runBenchmarks({
      data: d,
      model,
      reload,
      tasks: [{ ...ALL[0], seed: 99 } as BenchmarkSpec],
      progress: quiet().progress,
    });
    expect(other[0].rows[0].metrics).not.toEqual(results[0].rows[0].metrics);
    model.dispose();
  });

  it('splits each task customer-disjointly, seeded by seed + repeat', () => {
    const n = 97;
    const seen = new Set<string>();
    for (let r = 0; r < 3; r++) {
      const s = taskSplit(ALL[0], n, r);
      const all = [...s.train, ...s.valid, ...s.test];
      expect(all.length).toBe(n);
      expect(new Set(all).size).toBe(n);
      expect(Array.from(taskSplit(ALL[0], n, r).test)).toEqual(Array.from(s.test));
      seen.add(Array.from(s.test).join());
    }
    expect(seen.size).toBe(3);
    expect(Array.from(taskSplit({ ...ALL[0], seed: 6 }, n, 0).test)).toEqual(Array.from(taskSplit(ALL[0], n, 1).test));
  });
});

/** a model stub whose embed records every batch it is given */
function recordingModel(): CustomerModel & { seen: SequenceBatch[] } {
  const seen: SequenceBatch[] = [];
  return {
    family: 'stub',
    maxLen: 50,
    embeddingDim: 2,
    tasks: [],
    taskOutputs: {},
    seen,
    fit: async () => ({ epochs: 0, steps: 0, history: [] }),
    embed(b) {
      seen.push(b);
      return Float32Array.from({ length: b.batchSize * 2 }, (_, i) => b.items[Math.floor(i / 2) * b.maxLen + b.maxLen - 1] / (1 + (i % 2)));
    },
    score: () => new Float32Array(0),
    save: async () => {
      throw new Error('not saved');
    },
    dispose() {},
  };
}

describe('heads learn what the vectors carry', () => {
  beforeAll(() => initTestBackend());

  it('U-MLP and XGBoost both find a label carried by the first history item', async () => {
    const d = data();
    // vector = (first history item, history length), scaled: the group label is a threshold on the first coordinate
    const model = {
      ...recordingModel(),
      embed: (b: SequenceBatch) =>
        Float32Array.from({ length: b.batchSize * 2 }, (_, i) => {
          const row = b.items.subarray(Math.floor(i / 2) * b.maxLen, (Math.floor(i / 2) + 1) * b.maxLen);
          const items = Array.from(row).filter((x) => x !== PAD);
          return i % 2 ? items.length / 16 : (items[0] - 16) / 8;
        }),
    };
    const [r] = await runBenchmarks({
      data: d,
      model,
      reload: async () => model,
      tasks: [{ ...ALL[0], epochs: 60, repeats: 1 }],
      progress: quiet().progress,
    });
    for (const row of r.rows) {
      expect(row.metrics.auroc, row.model).toBeGreaterThan(0.9);
      expect(row.metrics.accuracy, row.model).toBeGreaterThan(0.8);
    }
  });
});

describe('targeting history', () => {
  beforeAll(() => initTestBackend());

  it('never lets an event inside the window reach the encoder (every event, then purchases only)', async () => {
    const plain = data();
    // the same customers, every second event a purchase (type 'purchase'), the others views
    const typed: PreparedDataset = {
      ...plain,
      vocabs: { ...plain.vocabs, type: { name: 'type', tokens: [...RESERVED_TOKENS, 'view', 'purchase'], hash: 'vp' } },
      train: { ...plain.train, types: Int32Array.from(plain.train.items, (_, i) => (i % 2 ? 5 : 4)) },
    };
    for (const [d, purchases] of [
      [plain, false],
      [typed, true],
    ] as const) {
      const spec = {
        ...base,
        repeats: 1,
        epochs: 1,
        name: 't',
        task: 'targeting',
        feature: 'category1',
        value: 'most-common',
        window: 3,
      } as const;
      const model = recordingModel();
      await runBenchmarks({ data: d, model, reload: async () => model, tasks: [spec], progress: quiet().progress });
      const h = d.train;
      // the window, worked out here on its own: the customer's last 3 events (or last 3 purchases)
      const windowStart = (c: number) => {
        const counted = Array.from({ length: h.offsets[c + 1] - h.offsets[c] }, (_, k) => h.offsets[c] + k).filter(
          (e) => !purchases || h.types[e] === 5,
        );
        return counted[counted.length - 3];
      };
      let rows = 0;
      for (const b of model.seen)
        b.customerIds!.forEach((id, r) => {
          const c = h.customerIds.indexOf(id);
          const start = windowStart(c);
          const items = Array.from(b.items.subarray(r * b.maxLen, (r + 1) * b.maxLen)).filter((x) => x !== PAD);
          const times = Array.from(b.times!.subarray(r * b.maxLen, (r + 1) * b.maxLen)).filter(Number.isFinite);
          expect(items).toEqual(Array.from(h.items.subarray(h.offsets[c], start))); // the whole history before the window, nothing after
          expect(Math.max(...times)).toBeLessThan(h.times[start]);
          rows++;
        });
      expect(rows).toBe(targetingTask(d, 'category1', 'most-common', 3).rows.length);
      expect(rows).toBeGreaterThan(100);
    }
  });
});

describe('benchmark errors', () => {
  const d = data();
  const model = recordingModel();
  const run = (tasks: BenchmarkSpec[], dd: PreparedDataset = d, signal?: AbortSignal) =>
    runBenchmarks({ data: dd, model, reload: async () => model, tasks, progress: quiet().progress, signal });
  const label = (o: Partial<Extract<BenchmarkSpec, { task: 'label' }>>) =>
    ({ ...base, name: 'l', task: 'label', field: 'group', positive: ['a'], ...o }) as BenchmarkSpec;
  beforeAll(() => initTestBackend());

  it('names a missing label field, a data set without users and a one-class rule', async () => {
    await expect(run([label({ field: 'gender' })])).rejects.toThrow(
      /CFM_E_DATASET.*field "gender".*no customer has a "gender" field.*group, spend/,
    );
    await expect(run([label({})], { ...d, userLabels: undefined })).rejects.toThrow(/field "group".*no users table/);
    await expect(run([label({ positive: ['z'] })])).rejects.toThrow(/field "group".*one class only/);
    await expect(run([label({ positive: undefined })])).rejects.toThrow(/CFM_E_CONFIG.*needs `positive` values or a numeric `threshold`/);
    await expect(run([label({ split: [0.5, 0.5, 0] })])).rejects.toThrow(/split must be three shares/);
  });

  it('refuses to fine-tune a model that is no Encoder, naming the family', async () => {
    await expect(run([{ ...base, name: 'f', task: 'finetune', field: 'spend', threshold: 12 }])).rejects.toThrow(
      /family "stub" cannot be fine-tuned/,
    );
  });

  it('stops with CFM_E_STATE when cancelled, before a task or inside its training', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(run([label({})], d, ac.signal)).rejects.toThrow(/CFM_E_STATE.*cancelled/);
    for (const stopAt of [3, 40]) {
      const late = new AbortController();
      const beats: unknown[] = [];
      const heartbeat = (x: unknown) => void (beats.push(x) === stopAt && late.abort());
      const tasks = [label({ epochs: 50 }), label({ name: 'm', epochs: 50 })];
      await expect(
        runBenchmarks({ data: d, model, reload: async () => model, tasks, progress: quiet().progress, heartbeat, signal: late.signal }),
      ).rejects.toThrow(/CFM_E_STATE.*cancelled/);
      expect(beats.length).toBe(stopAt);
    }
  });

  it('leaves the XGBoost row out with one warning when libxgboost is not provisioned', async () => {
    const saved = process.env.CFM_XGBOOST_LIB;
    process.env.CFM_XGBOOST_LIB = '/nonexistent/libxgboost.so';
    resetRuntimeOptions();
    try {
      const q = quiet();
      const [a, b] = await runBenchmarks({
        data: d,
        model,
        reload: async () => model,
        tasks: [label({ repeats: 1, epochs: 1 }), label({ name: 'm', repeats: 1, epochs: 1 })],
        progress: q.progress,
      });
      expect([a, b].map((r) => r.rows.map((x) => x.model))).toEqual([['U-MLP'], ['U-MLP']]);
      expect(q.lines.filter((l) => l.startsWith('warning')).map((l) => /libxgboost not found/.test(l))).toEqual([true]);
    } finally {
      if (saved === undefined) delete process.env.CFM_XGBOOST_LIB;
      else process.env.CFM_XGBOOST_LIB = saved;
      resetRuntimeOptions();
    }
  });
});

describe('every family fine-tunes', () => {
  const d = data();
  beforeAll(() => initTestBackend());

  it('encodeVector at inference is the vector embed returns, and the finetune task runs on every family', async () => {
    const { shopperbert } = await import('@cfm/model-shopperbert');
    const { dmt } = await import('@cfm/model-dmt');
    const { sessionHeads } = await import('@cfm/model-session-heads');
    const tiny: Array<[ModelFamily<unknown>, Record<string, unknown>]> = [
      [bert4rec, { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12 }],
      [mcm, { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12 }],
      [shopperbert as ModelFamily<unknown>, { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 12, textDim: 0 }],
      [dmt as ModelFamily<unknown>, { featureDim: 4, nHeads: 2, expertSizes: [8], utilitySizes: [4], biasSizes: [4], experts: 2 }],
      [sessionHeads as ModelFamily<unknown>, { hidden: 16, idDim: 8, maxLen: 12 }],
    ];
    for (const [family, cfg] of tiny) {
      const m = family.create(family.config.parse({ ...cfg, seed: 1 }), d) as CustomerModel & {
        encodeVector(b: SequenceBatch, c: Ctx): tf.Tensor2D;
      };
      const b = probe(d);
      const v = m.encodeVector(b, Ctx.inference());
      const e = m.embed(b);
      expect(v.shape, family.name).toEqual([4, m.embeddingDim]);
      Array.from(v.dataSync()).forEach((x, i) => expect(x, family.name).toBeCloseTo(e[i], 4));
      v.dispose();
      const fresh = async () => family.create(family.config.parse({ ...cfg, seed: 1 }), d);
      const [ft] = await runBenchmarks({ data: d, model: m, reload: fresh, tasks: [{ ...ALL[3], epochs: 2 }], progress: quiet().progress }); // a head warm-up epoch, then one end to end
      expect(
        ft.rows.map((r) => r.model),
        family.name,
      ).toEqual(['fine-tuned', 'frozen']);
      for (const r of ft.rows) expect(r.metrics.auroc, family.name).toBeGreaterThanOrEqual(0);
      expect(ft.rows[0].cost!.parameters, family.name).toBeGreaterThan(ft.rows[1].cost!.parameters);
      m.dispose();
    }
  });
});
