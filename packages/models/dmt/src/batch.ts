/** Batches of whole requests: each request's behaviour sequences once (left-padded, [R, L]) and its
 * impression list padded to the longest list of the batch ([R, Q]), so encoders run once per request. */
import { PAD, padBatch } from '@cfm/core';
import type { Catalogue, ImpressionSet } from './impression-types';

export interface SeqInput {
  len: number;
  /** item and item-feature ids, [R, len] each */
  ids: Record<string, Int32Array>;
}

export interface DmtBatch {
  requests: number;
  listLen: number;
  seqs: Record<string, SeqInput>;
  /** target item + feature ids, [R, Q] each */
  target: Record<string, Int32Array>;
  /** [R * Q] 1 = a real impression */
  mask: Float32Array;
  /** [R * Q] impression index in the set, -1 for padding */
  index: Int32Array;
  /** bias inputs [R * Q] (clamped), categories [R * Q, 1 + K], same-category neighbour count [R * Q] */
  position: Int32Array;
  page: Int32Array;
  categories: Int32Array;
  sameCategory: Int32Array;
  /** [R * Q, F] z-scored */
  dense: Float32Array;
  labels: { ctr: Float32Array; cvr: Float32Array };
}

export interface DenseStats {
  mean: number[];
  std: number[];
}

/** indices of the dense columns a model with these behaviours reads: each behaviour's three, then the
 * behaviour-free ones (popularity, brand share), in the set's order; every column when `behaviours` is undefined */
export function denseColumns(set: ImpressionSet, behaviours?: string[]): number[] {
  const all = set.denseNames.map((_, i) => i);
  if (!behaviours) return all;
  const setBehaviours = Object.keys(set.histories);
  return all.filter((i) => {
    const owner = setBehaviours.find((b) => set.denseNames[i].startsWith(`${b}_`));
    return owner === undefined || behaviours.includes(owner);
  });
}

export function denseStats(set: ImpressionSet, behaviours?: string[]): DenseStats {
  const cols = denseColumns(set, behaviours);
  const W = set.denseNames.length;
  const F = cols.length;
  const n = set.item.length;
  const mean = new Array<number>(F).fill(0);
  const sq = new Array<number>(F).fill(0);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) {
      mean[f] += set.dense[i * W + cols[f]];
      sq[f] += set.dense[i * W + cols[f]] ** 2;
    }
  const m = mean.map((s) => s / Math.max(1, n));
  return { mean: m, std: sq.map((s, f) => Math.sqrt(Math.max(s / Math.max(1, n) - m[f] ** 2, 0)) || 1) };
}

export interface BatchOptions {
  cat: Catalogue;
  features: string[];
  maxLens: Record<string, number>;
  stats: DenseStats;
  maxPosition: number;
  maxPage: number;
  /** the model's behaviours: only their dense columns are read (a set built for more behaviours is fine) */
  behaviours?: string[];
}

/** rows = request indices */
export function makeBatch(set: ImpressionSet, rows: ArrayLike<number>, o: BatchOptions): DmtBatch {
  const R = rows.length;
  let Q = 1;
  for (let r = 0; r < R; r++) Q = Math.max(Q, set.offsets[rows[r] + 1] - set.offsets[rows[r]]);
  const K = set.neighbours;
  const cols = denseColumns(set, o.behaviours);
  const W = set.denseNames.length;
  const F = cols.length;
  const feats = (item: number, out: Record<string, Int32Array>, at: number) => {
    out.item[at] = item;
    for (const f of o.features) out[f][at] = item === PAD ? PAD : (o.cat.itemFeatures[f][item] ?? PAD);
  };
  const seqs: Record<string, SeqInput> = {};
  for (const [b, h] of Object.entries(set.histories)) {
    const pb = padBatch(h, rows, { maxLen: o.maxLens[b] ?? 50 });
    const ids: Record<string, Int32Array> = {
      item: new Int32Array(pb.items.length),
      ...Object.fromEntries(o.features.map((f) => [f, new Int32Array(pb.items.length)])),
    };
    pb.items.forEach((it, t) => feats(it, ids, t));
    seqs[b] = { len: pb.maxLen, ids };
  }
  const N = R * Q;
  const target: Record<string, Int32Array> = {
    item: new Int32Array(N),
    ...Object.fromEntries(o.features.map((f) => [f, new Int32Array(N)])),
  };
  const b: DmtBatch = {
    requests: R,
    listLen: Q,
    seqs,
    target,
    mask: new Float32Array(N),
    index: new Int32Array(N).fill(-1),
    position: new Int32Array(N),
    page: new Int32Array(N),
    categories: new Int32Array(N * (1 + K)),
    sameCategory: new Int32Array(N),
    dense: new Float32Array(N * F),
    labels: { ctr: new Float32Array(N), cvr: new Float32Array(N) },
  };
  for (let r = 0; r < R; r++) {
    const from = set.offsets[rows[r]];
    const to = set.offsets[rows[r] + 1];
    for (let i = from; i < to; i++) {
      const at = r * Q + (i - from);
      feats(set.item[i], target, at);
      b.mask[at] = 1;
      b.index[at] = i;
      b.position[at] = Math.min(set.position[i], o.maxPosition);
      b.page[at] = Math.min(set.page[i], o.maxPage);
      const c = set.categories.subarray(i * (1 + K), (i + 1) * (1 + K));
      b.categories.set(c, at * (1 + K));
      for (let k = 1; k <= K; k++) if (c[k] !== PAD && c[k] === c[0]) b.sameCategory[at]++;
      for (let f = 0; f < F; f++) b.dense[at * F + f] = (set.dense[i * W + cols[f]] - o.stats.mean[f]) / o.stats.std[f];
      b.labels.ctr[at] = set.clicked[i];
      b.labels.cvr[at] = set.ordered[i];
    }
  }
  return b;
}
