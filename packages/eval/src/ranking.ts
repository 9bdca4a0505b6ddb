import { CfmError } from '@cfm/core';
import { defaultMetricKeys, mean, metricFromRanks } from './metrics';

/** How a candidate scored exactly like the target counts:
 * 'pessimistic' (default) ranks the target below every tie, so constant scores earn nothing;
 * 'average' is the expected rank under random tie-breaking; 'optimistic' ranks it above every tie. */
export type Ties = 'pessimistic' | 'average' | 'optimistic';

/** Per-row columns to leave out, in CSR form: row r drops ids[offsets[r] .. offsets[r+1]-1].
 * CustomerSequences { offsets, items } fits as is; for a batch of rows s..s+n pass offsets.subarray(s, s + n + 1). */
export interface RowExclusions {
  offsets: Int32Array;
  ids: Int32Array;
}

export interface RankingInput {
  /** row-major [rows, cols] */
  scores: Float32Array;
  /** candidates per row (the item vocabulary size under full ranking) */
  cols: number;
  /** [rows] column of each row's target (the item id under full ranking, 0 under the sampled protocol) */
  targets: Int32Array;
  /** e.g. each customer's history (the target itself is never dropped) */
  exclude?: RowExclusions;
  /** columns dropped from every row, e.g. the reserved ids 0..3 */
  excludeAll?: Int32Array;
  ties?: Ties;
}

/** Reused between rows so that duplicate exclusions count once without allocating. */
class Marks {
  private marks = new Int32Array(0);
  private stamp = 0;
  next(cols: number): Int32Array {
    if (this.marks.length < cols || this.stamp > 2e9) {
      this.marks = new Int32Array(cols);
      this.stamp = 0;
    }
    this.stamp++;
    return this.marks;
  }
  get id(): number {
    return this.stamp;
  }
}

function rankAt(
  scores: Float32Array,
  off: number,
  cols: number,
  target: number,
  ties: Ties,
  drops: Array<{ ids: Int32Array; from: number; to: number }>,
  marks: Marks,
  row: number,
): number {
  if (!(target >= 0 && target < cols))
    throw new CfmError('CFM_E_ROW_SCHEMA', `target ${target} outside 0..${cols - 1}`, { row, field: 'targets' });
  const st = scores[off + target];
  if (Number.isNaN(st)) throw new CfmError('CFM_E_ROW_SCHEMA', 'target score is NaN', { row, field: 'scores' });
  let greater = 0;
  let equal = -1; // the target equals itself
  for (let j = off, end = off + cols; j < end; j++) {
    const s = scores[j];
    if (s > st) greater++;
    else if (s === st) equal++;
  }
  const m = marks.next(cols);
  const id = marks.id;
  for (const { ids, from, to } of drops) {
    for (let i = from; i < to; i++) {
      const e = ids[i];
      if (e === target) continue;
      if (!(e >= 0 && e < cols))
        throw new CfmError('CFM_E_ROW_SCHEMA', `excluded id ${e} outside 0..${cols - 1}`, { row, field: 'exclude' });
      if (m[e] === id) continue;
      m[e] = id;
      const s = scores[off + e];
      if (s > st) greater--;
      else if (s === st) equal--;
    }
  }
  if (ties === 'pessimistic') return 1 + greater + equal;
  if (ties === 'average') return 1 + greater + equal / 2;
  return 1 + greater;
}

/** 1-based rank of `target` in one row of scores, after dropping `exclude` (never the target). */
export function rankOfTarget(scores: Float32Array, target: number, exclude?: Int32Array, ties: Ties = 'pessimistic'): number {
  const drops = exclude ? [{ ids: exclude, from: 0, to: exclude.length }] : [];
  return rankAt(scores, 0, scores.length, target, ties, drops, new Marks(), 0);
}

/** Target ranks of every row: [rows], 1-based. */
export function rankRows(input: RankingInput, marks = new Marks()): Float64Array {
  const { scores, cols, targets, exclude, excludeAll, ties = 'pessimistic' } = input;
  const rows = targets.length;
  if (scores.length !== rows * cols) {
    throw new CfmError('CFM_E_CONFIG', `scores has ${scores.length} values, expected rows*cols = ${rows}*${cols}`, { field: 'scores' });
  }
  if (exclude && exclude.offsets.length < rows + 1) {
    throw new CfmError('CFM_E_CONFIG', `exclude.offsets has ${exclude.offsets.length} entries, expected at least rows+1 = ${rows + 1}`, {
      field: 'exclude',
    });
  }
  const ranks = new Float64Array(rows);
  const drops = [
    { ids: excludeAll ?? new Int32Array(0), from: 0, to: excludeAll?.length ?? 0 },
    { ids: exclude?.ids ?? new Int32Array(0), from: 0, to: 0 },
  ];
  for (let r = 0; r < rows; r++) {
    if (exclude) {
      drops[1].from = exclude.offsets[r];
      drops[1].to = exclude.offsets[r + 1];
    }
    ranks[r] = rankAt(scores, r * cols, cols, targets[r], ties, drops, marks, r);
  }
  return ranks;
}

export interface RankingResult {
  rows: number;
  ties: Ties;
  /** [rows] target ranks, 1-based */
  ranks: Float64Array;
  /** mean of every metric key, e.g. { 'hr@10': 0.31, 'ndcg@10': 0.17, mrr: 0.12 } */
  metrics: Record<string, number>;
  /** per-row values of one metric key (for segments and paired tests) */
  perRow(key: string): Float64Array;
}

export interface RankingOptions {
  /** cut-offs, default [1, 5, 10, 20] */
  k?: number[];
  /** metric keys; default: hr, ndcg, recall, precision, map at every k, and mrr */
  metrics?: string[];
}

/** Metric means from ranks (also used for a segment's subset of ranks). */
export function summarizeRanks(ranks: Float64Array, opts: RankingOptions = {}, ties: Ties = 'pessimistic'): RankingResult {
  const keys = opts.metrics ?? defaultMetricKeys(opts.k ?? [1, 5, 10, 20]);
  const metrics: Record<string, number> = {};
  for (const key of keys) metrics[key] = mean(metricFromRanks(ranks, key));
  return { rows: ranks.length, ties, ranks, metrics, perRow: (key) => metricFromRanks(ranks, key) };
}

/** Rank every row's target and average the metrics. */
export function evaluateRanking(input: RankingInput & RankingOptions): RankingResult {
  return summarizeRanks(rankRows(input), input, input.ties ?? 'pessimistic');
}

/** Ranks batches as a model scores them, so that rows × items never sits in memory at once. */
export class RankingAccumulator {
  private parts: Float64Array[] = [];
  private marks = new Marks();
  constructor(private readonly opts: RankingOptions & { ties?: Ties } = {}) {}
  add(batch: Omit<RankingInput, 'ties'>): Float64Array {
    const ranks = rankRows({ ...batch, ties: this.opts.ties }, this.marks);
    this.parts.push(ranks);
    return ranks;
  }
  result(): RankingResult {
    const n = this.parts.reduce((s, p) => s + p.length, 0);
    const ranks = new Float64Array(n);
    let o = 0;
    for (const p of this.parts) {
      ranks.set(p, o);
      o += p.length;
    }
    return summarizeRanks(ranks, this.opts, this.opts.ties ?? 'pessimistic');
  }
}
