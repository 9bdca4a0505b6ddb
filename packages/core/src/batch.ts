/** Padded batches from CSR customer sequences, the SequenceBatch a CustomerModel embeds and scores: left-padded,
 * cropped to the longest row in the batch (so short-sequence datasets do not pay for maxLen), most recent tokens kept. */
import type { CustomerSequences, SequenceBatch } from './model';
import { PAD } from './schemas';

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
    for (let r = 0; r < n; r++)
      batch.times.set(seqs.times.subarray(starts[r], ends[r]), r * len + len - (ends[r] - starts[r]) - app.length);
  }
  if (o.itemFeatures) {
    batch.features = {};
    for (const [f, table] of Object.entries(o.itemFeatures)) batch.features[f] = items.map((it) => (it === PAD ? PAD : (table[it] ?? PAD)));
  }
  return batch;
}
