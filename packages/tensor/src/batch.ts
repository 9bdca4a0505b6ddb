/** Padded batches from CSR customer sequences: left-padded, cropped to the longest row in the batch
 * (so short-sequence datasets do not pay for maxLen), most recent tokens kept. */
import { PAD, createRng, type CustomerSequences, type Rng, type SequenceBatch } from '@cfm/core';

export interface PadOptions {
  maxLen: number;
  /** item ids appended after each row's history (e.g. [MASK] for next-item inference) */
  append?: number[];
  /** per-item feature tables (itemFeatures) to expand into batch.features */
  itemFeatures?: Record<string, Int32Array>;
  /** take only tokens before this per-row end offset (exclusive), default the row end */
  ends?: Int32Array;
  /** also carry each token's event time in batch.times (NaN at padding and appended slots), for families
   * that read dates (ShopperBERT's date parts, DMT's behaviour windows) */
  times?: boolean;
}

/** rows = customer indices into `seqs` */
export function padBatch(seqs: CustomerSequences, rows: ArrayLike<number>, o: PadOptions): SequenceBatch {
  const app = o.append ?? [];
  const keep = o.maxLen - app.length;
  const starts = new Int32Array(rows.length);
  const ends = new Int32Array(rows.length);
  let len = 1;
  for (let r = 0; r < rows.length; r++) {
    const c = rows[r];
    ends[r] = o.ends ? o.ends[r] : seqs.offsets[c + 1];
    starts[r] = Math.max(seqs.offsets[c], ends[r] - keep);
    len = Math.max(len, ends[r] - starts[r] + app.length);
  }
  const n = rows.length;
  const items = new Int32Array(n * len);
  const types = new Int32Array(n * len);
  for (let r = 0; r < n; r++) {
    const count = ends[r] - starts[r];
    const base = r * len + len - count - app.length;
    items.set(seqs.items.subarray(starts[r], ends[r]), base);
    types.set(seqs.types.subarray(starts[r], ends[r]), base);
    for (let a = 0; a < app.length; a++) items[r * len + len - app.length + a] = app[a];
  }
  const batch: SequenceBatch = { batchSize: n, maxLen: len, items, types, customerIds: Array.from(rows, (c) => seqs.customerIds[c]) };
  if (o.times) {
    batch.times = new Float64Array(n * len).fill(NaN);
    for (let r = 0; r < n; r++) batch.times.set(seqs.times.subarray(starts[r], ends[r]), r * len + len - (ends[r] - starts[r]) - app.length);
  }
  if (o.itemFeatures) {
    batch.features = {};
    for (const [f, table] of Object.entries(o.itemFeatures)) batch.features[f] = items.map((it) => (it === PAD ? PAD : table[it] ?? PAD));
  }
  return batch;
}

/** Batches of similar length: sort by length (ties random), cut into batches, shuffle batch order. */
export function lengthBuckets(lengths: ArrayLike<number>, batchSize: number, rng: Rng): number[][] {
  const idx = rng.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  idx.sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  for (let i = 0; i < idx.length; i += batchSize) batches.push(idx.slice(i, i + batchSize));
  return rng.shuffle(batches);
}

/** number of tokens of customer c */
export function seqLength(seqs: CustomerSequences, c: number): number {
  return seqs.offsets[c + 1] - seqs.offsets[c];
}

/** Training instances of a window sampler: window i holds the `lengths[i]` items of customer `customers[i]` before
 * offset `ends[i]`. */
export interface Windows {
  customers: Int32Array;
  ends: Int32Array;
  lengths: Int32Array;
}

/** (customer, end) windows of at most `span` items ending at `end`: from each sequence's last item back, every `step`
 * items, while a window holds at least `minItems` items, until one reaches the sequence's start; sequences shorter than
 * `minSequence` give none. */
export function sequenceWindows(seqs: CustomerSequences, o: { span: number; step: number; minItems: number; minSequence: number }): Windows {
  const c: number[] = [];
  const e: number[] = [];
  const step = Math.max(1, o.step);
  for (let u = 0; u < seqs.customerIds.length; u++) {
    const start = seqs.offsets[u];
    const end = seqs.offsets[u + 1];
    if (end - start < o.minSequence) continue;
    for (let x = end; x - start >= o.minItems; x -= step) {
      c.push(u);
      e.push(x);
      if (x - o.span <= start) break;
    }
  }
  const customers = Int32Array.from(c);
  const ends = Int32Array.from(e);
  const lengths = Int32Array.from(c, (u, i) => Math.min(o.span, ends[i] - seqs.offsets[u]));
  return { customers, ends, lengths };
}

/** The batches of an epoch over a set of windows: length buckets shuffled by (seed, epoch), the last epoch's kept. */
export class WindowBatches {
  private epoch = -1;
  private batches: number[][] = [];
  constructor(readonly windows: Windows, readonly batchSize: number, readonly seed: number) {}
  get batchesPerEpoch(): number {
    return Math.ceil(this.windows.customers.length / this.batchSize);
  }
  /** window indices of batch `index` of `epoch` */
  rows(epoch: number, index: number): number[] {
    if (epoch !== this.epoch) {
      this.batches = lengthBuckets(this.windows.lengths, this.batchSize, createRng(this.seed).fork(`epoch/${epoch}`));
      this.epoch = epoch;
    }
    return this.batches[index];
  }
  /** the batch's customers and window ends, as padBatch takes them */
  customersAndEnds(rows: number[]): { customers: number[]; ends: Int32Array } {
    return { customers: rows.map((r) => this.windows.customers[r]), ends: Int32Array.from(rows, (r) => this.windows.ends[r]) };
  }
}

/** A training batch whose targets sit at some positions: BERT4Rec's masked slots, SASRec's next items. */
export interface TargetBatch {
  batchSize: number;
  /** columns of `items` */
  maxLen: number;
  /** [B, L] input ids, left-padded */
  items: Int32Array;
  /** flat indices b * L + t of the positions with a target */
  positions: Int32Array;
  /** the target item at each of those positions */
  labels: Int32Array;
}
