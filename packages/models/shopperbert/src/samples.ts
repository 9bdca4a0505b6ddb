/** Masked purchase prediction batches (§3, §4.1.2): per customer and epoch a window of at most maxLen tokens,
 * shuffle / crop augmentation of 30 % of the batch (Algorithm 1, @cfm/augment) when enabled, [CLS] in front
 * for the CLS variant, then BERT masking of 15 % of the purchase tokens (80 % [MASK], 10 % random purchase,
 * 10 % unchanged). Labels are the masked tokens' category ids and date parts. Deterministic in (seed, epoch, index). */
import { CLS, MASK, PAD, createRng, type CustomerSequences } from '@cfm/core';
import { augmentBatch, maskBatch, MASKED, RANDOMIZED, type AlignedSeq } from '@cfm/augment';
import { lengthBuckets } from '@cfm/tensor';
import type { DatePart, ShopperBertConfig } from './config';
import { dateIds } from './dates';
import type { ShopperBertDims, TokenInputs } from './backbone';

export interface MppBatch extends TokenInputs {
  /** flat indices b * L + t of the chosen (masked) tokens */
  positions: Int32Array;
  /** row b of each chosen token (the [CLS] variant predicts from row b's [CLS]) */
  rows: Int32Array;
  /** per sub-task the original id at each chosen token */
  labels: Record<string, Int32Array>;
}

/** Token inputs of aligned sequences (items + times), left-padded, with [CLS] before the first token if asked. */
export function tokenInputs(
  seqs: AlignedSeq[],
  itemFeatures: Record<string, Int32Array>,
  dims: ShopperBertDims,
  c: Pick<ShopperBertConfig, 'yearMin' | 'yearCount'>,
  cls: boolean,
): TokenInputs {
  const extra = cls ? 1 : 0;
  const L = Math.max(1, ...seqs.map((s) => s.items.length + extra));
  const B = seqs.length;
  const items = new Int32Array(B * L);
  const features: Record<string, Int32Array> = {};
  for (const f of [...dims.categories, ...dims.dateParts]) features[f] = new Int32Array(B * L);
  seqs.forEach((s, b) => {
    const n = s.items.length;
    const start = b * L + L - n;
    items.set(s.items, start);
    for (const f of dims.categories) for (let t = 0; t < n; t++) features[f][start + t] = itemFeatures[f][s.items[t]] ?? PAD;
    const d = dateIds(dims.dateParts as DatePart[], s.times ?? new Float64Array(n).fill(NaN), c);
    for (const f of dims.dateParts) features[f].set(d[f], start);
    if (cls) {
      items[start - 1] = CLS;
      for (const f of Object.keys(features)) features[f][start - 1] = CLS;
    }
  });
  return { batchSize: B, maxLen: L, items, features };
}

export class MppSampler {
  private epochBatches = new Map<number, number[][]>();
  readonly rows: number[];
  constructor(
    readonly seqs: CustomerSequences,
    readonly itemFeatures: Record<string, Int32Array>,
    readonly dims: ShopperBertDims,
    readonly c: ShopperBertConfig & { seed: number },
  ) {
    this.rows = [];
    for (let u = 0; u < seqs.customerIds.length; u++) if (seqs.offsets[u + 1] > seqs.offsets[u]) this.rows.push(u);
  }
  get batchesPerEpoch(): number {
    return Math.ceil(this.rows.length / this.c.batchSize);
  }
  private get keep(): number {
    return this.c.maxLen - (this.c.variant === 'CLS' ? 1 : 0);
  }
  private order(epoch: number): number[][] {
    let b = this.epochBatches.get(epoch);
    if (!b) {
      const lengths = this.rows.map((u) => Math.min(this.keep, this.seqs.offsets[u + 1] - this.seqs.offsets[u]));
      b = lengthBuckets(lengths, this.c.batchSize, createRng(this.c.seed).fork(`epoch/${epoch}`)).map((idx) =>
        idx.map((i) => this.rows[i]),
      );
      this.epochBatches.clear();
      this.epochBatches.set(epoch, b);
    }
    return b;
  }

  batch(epoch: number, index: number): MppBatch {
    const rng = createRng(this.c.seed).fork(`mpp/${epoch}/${index}`);
    const windows: AlignedSeq[] = this.order(epoch)[index].map((u) => {
      const from = this.seqs.offsets[u],
        to = this.seqs.offsets[u + 1];
      const end = to - from > this.keep ? from + this.keep + rng.int(to - from - this.keep + 1) : to; // random window end
      const start = Math.max(from, end - this.keep);
      return { items: this.seqs.items.subarray(start, end), times: this.seqs.times.subarray(start, end) };
    });
    const seqs = this.c.augment
      ? augmentBatch(windows, rng.fork('augment'), { fraction: this.c.augmentFraction, cropProbability: this.c.cropProbability }).map(
          (a) => a.seq,
        )
      : windows;
    const x = tokenInputs(seqs, this.itemFeatures, this.dims, this.c, this.c.variant === 'CLS');
    return this.mask(x, rng.fork('mask'));
  }

  /** BERT masking of the purchase tokens; features follow their item's decision */
  private mask(x: TokenInputs, rng: ReturnType<typeof createRng>): MppBatch {
    const tasks = [...this.dims.categories, ...this.dims.dateParts];
    const m = maskBatch(x.items, x.maxLen, rng, { rate: this.c.maskRate, vocabSize: this.dims.itemCount }); // per row
    const positions: number[] = [];
    const labels: Record<string, number[]> = Object.fromEntries(tasks.map((t) => [t, []]));
    for (let i = 0; i < x.items.length; i++) {
      const d = m.decisions[i];
      if (!d) continue;
      positions.push(i);
      for (const t of tasks) labels[t].push(x.features[t][i]);
      if (d === MASKED) {
        x.items[i] = MASK;
        for (const t of tasks) x.features[t][i] = MASK;
      } else if (d === RANDOMIZED) {
        // a random purchase: a random product's categories and a random date
        x.items[i] = m.inputs[i];
        for (const t of this.dims.categories) x.features[t][i] = this.itemFeatures[t][m.inputs[i]] ?? PAD;
        for (const t of this.dims.dateParts) x.features[t][i] = 4 + rng.int(this.dims.vocabSizes[t] - 4);
      }
    }
    const pos = Int32Array.from(positions);
    return {
      ...x,
      positions: pos,
      rows: pos.map((p) => Math.floor(p / x.maxLen)),
      labels: Object.fromEntries(tasks.map((t) => [t, Int32Array.from(labels[t])])),
    };
  }
}
