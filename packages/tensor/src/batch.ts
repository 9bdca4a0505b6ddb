/** Training batches over CSR customer sequences: length buckets, sampling windows, target batches (the padded
 * SequenceBatch itself is padBatch in @cfm/core). */
import { PAD, createRng, padBatch, type CustomerSequences, type Rng } from '@cfm/core';

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
export function sequenceWindows(
  seqs: CustomerSequences,
  o: { span: number; step: number; minItems: number; minSequence: number },
): Windows {
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
  constructor(
    readonly windows: Windows,
    readonly batchSize: number,
    readonly seed: number,
  ) {}
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

/** The next-token batch of a set of windows (SASRec's, MCM's causal objective): each window of at most maxLen + 1
 * tokens gives the input (its first L) and, at every real input position, the token after it as the label. */
export function nextTokenBatch(
  seqs: CustomerSequences,
  batches: WindowBatches,
  epoch: number,
  index: number,
  maxLen: number,
): TargetBatch & { types: Int32Array } {
  const { customers, ends } = batches.customersAndEnds(batches.rows(epoch, index));
  const pb = padBatch(seqs, customers, { maxLen: maxLen + 1, ends });
  const W = pb.maxLen; // ≥ 2: every window holds a transition
  const L = W - 1;
  const items = new Int32Array(pb.batchSize * L);
  const types = new Int32Array(pb.batchSize * L);
  const pos: number[] = [];
  const labels: number[] = [];
  for (let b = 0; b < pb.batchSize; b++) {
    items.set(pb.items.subarray(b * W, b * W + L), b * L);
    types.set(pb.types!.subarray(b * W, b * W + L), b * L);
    for (let t = 0; t < L; t++) {
      if (pb.items[b * W + t] === PAD) continue;
      pos.push(b * L + t);
      labels.push(pb.items[b * W + t + 1]);
    }
  }
  return { batchSize: pb.batchSize, maxLen: L, items, types, positions: Int32Array.from(pos), labels: Int32Array.from(labels) };
}
