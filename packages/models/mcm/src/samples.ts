/** Training examples at batch time (§2.2). Each epoch draws `samplesPerSequence` label positions t per
 * customer; `prefix` feeds tokens before t then [MASK] (random prefix augmentation, no future), `cloze`
 * replaces token t by [MASK] and keeps the tokens after it (BERT-style, future visible). Examples of
 * similar length are batched together. Deterministic in (seed, epoch, index). */
import { MASK, RESERVED_IDS, createRng, type CustomerSequences } from '@cfm/core';
import { customerSeq, randomPrefix } from '@cfm/augment';
import { lengthBuckets } from '@cfm/tensor';

export interface McmBatch {
  batchSize: number;
  maxLen: number;
  /** [B, L] left-padded input items, [MASK] at the label slot */
  items: Int32Array;
  /** [B, L] token types ([MASK] at the label slot) */
  types: Int32Array;
  /** [B] position of the [MASK] slot */
  maskPos: Int32Array;
  /** [B] label item (its attribute labels are looked up per task) */
  labels: Int32Array;
  /** sampled item softmax: candidate items (the batch's labels + uniform negatives) and each row's label index */
  candidates?: Int32Array;
  labelIndex?: Int32Array;
  /** log P(candidate is in a batch's candidate set), per candidate: subtracted from its logit (logQ correction) */
  candidateLogQ?: Float32Array;
}

export interface SamplerOptions {
  maxLen: number;
  batchSize: number;
  samplesPerSequence: number;
  objective: 'prefix' | 'cloze';
  seed: number;
  /** item vocabulary size and uniform negatives per batch for the item softmax (0 = full softmax) */
  itemCount?: number;
  negatives?: number;
  /** subtract log P(item in the candidate set) from the sampled logits (logQ) */
  samplingCorrection?: boolean;
}

interface Example {
  /** token range [from, to) of the flat arrays fed as input ([MASK] replaces `label` when inside it) */
  from: number;
  to: number;
  /** flat index of the label token */
  label: number;
}

export class McmSampler {
  readonly eligible: number[] = [];
  private cache: { epoch: number; examples: Example[]; batches: number[][] } | null = null;
  /** per item: log P(item in a batch's candidate set), for the logQ correction of the sampled item softmax */
  private logQ: Float32Array | null = null;
  constructor(
    readonly seqs: CustomerSequences,
    readonly o: SamplerOptions,
  ) {
    for (let c = 0; c < seqs.customerIds.length; c++) if (seqs.offsets[c + 1] - seqs.offsets[c] >= 2) this.eligible.push(c);
    if (o.negatives && o.itemCount && o.samplingCorrection === true) this.logQ = inclusionLogProb(seqs, this.eligible, o);
  }
  get batchesPerEpoch(): number {
    return Math.ceil((this.eligible.length * this.o.samplesPerSequence) / this.o.batchSize);
  }

  private example(c: number, rng: ReturnType<typeof createRng>): Example {
    const start = this.seqs.offsets[c];
    const end = this.seqs.offsets[c + 1];
    const keep = this.o.maxLen - 1;
    if (this.o.objective === 'prefix') {
      const t = start + randomPrefix(customerSeq(this.seqs, c), rng)!.targetIndex;
      return { from: Math.max(start, t - keep), to: t, label: t };
    }
    const t = start + rng.int(end - start);
    let from = Math.max(start, end - this.o.maxLen);
    if (t < from) from = Math.max(start, t - (keep >> 1));
    return { from, to: Math.min(end, from + this.o.maxLen), label: t };
  }

  private epochPlan(epoch: number): { examples: Example[]; batches: number[][] } {
    if (this.cache?.epoch === epoch) return this.cache;
    const rng = createRng(this.o.seed).fork(`mcm/epoch/${epoch}`);
    const examples: Example[] = [];
    for (let k = 0; k < this.o.samplesPerSequence; k++) for (const c of this.eligible) examples.push(this.example(c, rng));
    const lengths = examples.map((e) => e.to - e.from + (e.label >= e.to ? 1 : 0));
    this.cache = { epoch, examples, batches: lengthBuckets(lengths, this.o.batchSize, rng.fork('buckets')) };
    return this.cache;
  }

  batch(epoch: number, index: number): McmBatch {
    const plan = this.epochPlan(epoch);
    const rows = plan.batches[index].map((r) => plan.examples[r]);
    const len = Math.max(...rows.map((e) => e.to - e.from + (e.label >= e.to ? 1 : 0)));
    const n = rows.length;
    const items = new Int32Array(n * len);
    const types = new Int32Array(n * len);
    const maskPos = new Int32Array(n);
    const labels = new Int32Array(n);
    rows.forEach((e, r) => {
      const appended = e.label >= e.to ? 1 : 0;
      const base = r * len + len - (e.to - e.from) - appended;
      items.set(this.seqs.items.subarray(e.from, e.to), base);
      types.set(this.seqs.types.subarray(e.from, e.to), base);
      const slot = appended ? len - 1 : base - r * len + (e.label - e.from);
      items[r * len + slot] = MASK;
      types[r * len + slot] = MASK;
      maskPos[r] = slot;
      labels[r] = this.seqs.items[e.label];
    });
    const out: McmBatch = { batchSize: n, maxLen: len, items, types, maskPos, labels };
    if (this.o.negatives && this.o.itemCount) Object.assign(out, this.sampledCandidates(labels, epoch, index));
    return out;
  }

  private sampledCandidates(
    labels: Int32Array,
    epoch: number,
    index: number,
  ): Pick<McmBatch, 'candidates' | 'labelIndex' | 'candidateLogQ'> {
    return sampledCandidates(
      labels,
      createRng(this.o.seed).fork(`mcm/neg/${epoch}/${index}`),
      this.o.itemCount!,
      this.o.negatives!,
      this.logQ,
    );
  }
}

/** the batch's distinct labels followed by uniform negatives over the non-reserved items, each label's index among
 * them, and (with logQ) each candidate's log inclusion probability */
export function sampledCandidates(
  labels: Int32Array,
  rng: ReturnType<typeof createRng>,
  itemCount: number,
  negatives: number,
  logQ: Float32Array | null,
): { candidates: Int32Array; labelIndex: Int32Array; candidateLogQ?: Float32Array } {
  const pos = new Map<number, number>();
  const cand: number[] = [];
  const labelIndex = Int32Array.from(labels, (l) => {
    if (!pos.has(l)) pos.set(l, cand.push(l) - 1);
    return pos.get(l)!;
  });
  const span = itemCount - RESERVED_IDS;
  for (let k = 0; k < negatives; k++) {
    const it = RESERVED_IDS + rng.int(span);
    if (!pos.has(it)) pos.set(it, cand.push(it) - 1);
  }
  const candidates = Int32Array.from(cand);
  return logQ ? { candidates, labelIndex, candidateLogQ: Float32Array.from(candidates, (it) => logQ[it]) } : { candidates, labelIndex };
}

/** log P(item w is among a batch's candidates) when a batch holds B labels drawn from the label distribution f
 * (estimated by the item frequencies at label positions, every token after a customer's first) and K uniform
 * negatives over the non-reserved items: log(1 − (1 − f_w)^B (1 − 1/span)^K). Subtracting it from the sampled
 * logits (the logQ correction of sampled softmax) removes the bias toward popular items that in-batch labels bring,
 * so the sampled loss estimates the full softmax. */
export function inclusionLogProb(
  seqs: CustomerSequences,
  eligible: number[],
  o: Pick<SamplerOptions, 'itemCount' | 'negatives' | 'batchSize'>,
): Float32Array {
  const v = o.itemCount!;
  const counts = new Float64Array(v);
  let total = 0;
  for (const c of eligible)
    for (let i = seqs.offsets[c] + 1; i < seqs.offsets[c + 1]; i++) {
      counts[seqs.items[i]]++;
      total++;
    }
  const span = v - RESERVED_IDS;
  const uniform = o.negatives! * Math.log1p(-1 / span);
  const out = new Float32Array(v);
  for (let w = 0; w < v; w++) {
    const f = Math.min(counts[w] / Math.max(total, 1), 1 - 1e-9);
    out[w] = Math.log(-Math.expm1(o.batchSize * Math.log1p(-f) + (w < RESERVED_IDS ? 0 : uniform)) || 1e-30);
  }
  return out;
}
