import { describe, expect, it } from 'vitest';
import { isCfmError, PAD } from '@cfm/core';
import { simulate } from '@cfm/simulator';
import { describeCustomerModel, syntheticPrepared } from '@cfm/tensor/testing';
import * as tf from '@tensorflow/tfjs';
import { Ctx } from '@cfm/tensor';
import {
  buildImpressionSet,
  catalogueFromItems,
  denseColumns,
  dmt,
  DmtConfig,
  DmtModel,
  makeBatch,
  pageViewImpressions,
  taskMetrics,
  type ImpressionRow,
  VARIANTS,
} from './index';

const tiny = {
  featureDim: 4,
  nHeads: 2,
  expertSizes: [8],
  utilitySizes: [4],
  biasSizes: [4],
  experts: 2,
  batchSize: 8,
  lr: 1e-2,
  warmupSteps: 2,
  bias: ['position', 'neighbour'],
};
describeCustomerModel(dmt, tiny, () => syntheticPrepared({ customers: 48, items: 20, minLen: 8, maxLen: 14 }), { epochs: 3 });

const sim = simulate({ customers: 40, items: 400, days: 60, seed: 3, outputs: { queries: false, incentives: false, itemText: false } });
const cat = catalogueFromItems(sim.items);
const behaviours = DmtConfig.parse({}).behaviours;
const set = buildImpressionSet(sim.impressions, sim.events, cat, behaviours);

describe('impression sets', () => {
  it('hold every logged row, grouped by request, with histories strictly before the request', () => {
    expect(set.item.length).toBe(sim.impressions.length);
    expect(set.offsets[set.offsets.length - 1]).toBe(sim.impressions.length);
    for (const h of Object.values(set.histories))
      for (let r = 0; r < set.offsets.length - 1; r++)
        for (let t = h.offsets[r]; t < h.offsets[r + 1]; t++) expect(h.times[t]).toBeLessThan(set.requestTs[r]);
    const click = set.histories.click;
    const windowed = Array.from({ length: set.offsets.length - 1 }, (_, r) => r).filter((r) => click.offsets[r + 1] > click.offsets[r]);
    for (const r of windowed) expect(set.requestTs[r] - click.times[click.offsets[r]]).toBeLessThanOrEqual(7 * 86_400);
  });
  it('resolve neighbour categories and the target category in the catalogue', () => {
    const K = set.neighbours;
    let known = 0;
    for (let i = 0; i < set.item.length; i++) for (let k = 0; k <= K; k++) if (set.categories[i * (1 + K) + k] > 3) known++;
    expect(known).toBe(set.item.length * (1 + K));
  });
  it('reject a request whose rows are not contiguous, naming the row', () => {
    const rows: ImpressionRow[] = [sim.impressions[0], sim.impressions[40], { ...sim.impressions[1] }];
    try {
      buildImpressionSet(rows, sim.events, cat, behaviours);
      expect.unreachable();
    } catch (e) {
      expect(isCfmError(e) && e.location).toEqual({ file: 'impressions', row: 2, field: 'requestId' });
    }
  });
  it('approximate impressions from page views: viewed items clicked, filled with unviewed ones', () => {
    const rows = pageViewImpressions(sim.events, cat, { listLength: 12, seed: 1 });
    const reqs = new Map<string, ImpressionRow[]>();
    for (const r of rows) reqs.set(r.requestId, [...(reqs.get(r.requestId) ?? []), r]);
    for (const list of reqs.values()) {
      expect(list.filter((r) => r.clicked).length).toBeGreaterThan(0);
      expect(new Set(list.map((r) => r.itemId)).size).toBe(list.length);
      expect(list.map((r) => r.position)).toEqual(list.map((_, i) => i + 1));
      for (const r of list) if (r.ordered) expect(r.clicked).toBe(true);
    }
  });
});

describe('training and serving', () => {
  it('add the bias logit in training only: serving scores ignore position and neighbours', async () => {
    await tf.ready(); // the conformance suite above selected the test backend
    const m = new DmtModel(DmtConfig.parse({ ...tiny, bias: ['position', 'page', 'neighbour'] }), cat);
    const rows = [0, 1, 2];
    const b = makeBatch(set, rows, m.batchOptions());
    const moved = { ...b, position: b.position.map((p) => p + 5), categories: b.categories.map(() => PAD) };
    const collect = (x: typeof b) => {
      const out: number[] = [];
      m.forward(x, (_, p) => out.push(...p));
      return out;
    };
    expect(collect(moved)).toEqual(collect(b));
    const l1 = m.loss(b, Ctx.inference());
    const l2 = m.loss(moved, Ctx.inference());
    expect(l1.dataSync()[0]).not.toBeCloseTo(l2.dataSync()[0], 6);
    l1.dispose();
    l2.dispose();
    m.dispose();
  });
  it("read only their own behaviours' dense columns from a set built for more behaviours", async () => {
    const all = DmtConfig.parse({ ...tiny }).behaviours;
    const m = new DmtModel(DmtConfig.parse({ ...tiny, behaviours: all.slice(0, 1) }), cat);
    const b = makeBatch(set, [0, 1], m.batchOptions());
    expect(set.denseNames.length).toBe(3 * all.length + 3);
    expect(b.dense.length / (b.requests * b.listLen)).toBe(3 + 3); // one behaviour's three + popularity / brand
    expect(denseColumns(set, [all[0].name]).map((i) => set.denseNames[i])).toEqual([
      ...set.denseNames.slice(0, 3),
      ...set.denseNames.slice(-3),
    ]);
    const l = m.loss(b, Ctx.inference()); // the network's dense input width matches
    expect(Number.isFinite(l.dataSync()[0])).toBe(true);
    l.dispose();
    m.dispose();
  });
  it('learn the simulated clicks above chance and report MMoE gates that sum to one', async () => {
    await tf.ready(); // the conformance suite above selected the test backend
    const m = new DmtModel(DmtConfig.parse({ ...tiny, epochs: 3, batchSize: 16, lr: 2e-2, seed: 1 }), cat);
    m.progress = { start() {}, update() {}, finish() {}, log() {} };
    await m.fitImpressions(set);
    const p = m.predict(set);
    expect(taskMetrics(set, 'ctr', p.tasks.ctr).auc).toBeGreaterThan(0.55);
    for (const g of Object.values(p.gates)) expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    m.dispose();
  }, 180_000);
  it.each(['din', 'dien'])(
    'train the %s baseline end to end: the training loss falls',
    async (v) => {
      await tf.ready();
      const m = new DmtModel(DmtConfig.parse({ ...tiny, ...VARIANTS[v], epochs: 2, batchSize: 16, lr: 2e-2, seed: 2 }), cat);
      m.progress = { start() {}, update() {}, finish() {}, log() {} };
      const b = makeBatch(set, [0, 1, 2, 3, 4, 5, 6, 7], m.batchOptions());
      const lossOf = () => {
        const l = m.loss(b, Ctx.inference());
        const x = l.dataSync()[0];
        l.dispose();
        return x;
      };
      const before = lossOf();
      await m.fitImpressions(set);
      expect(lossOf()).toBeLessThan(before);
      m.dispose();
    },
    180_000,
  );
});
