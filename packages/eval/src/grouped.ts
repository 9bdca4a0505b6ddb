import { CfmError } from '@cfm/core';
import { mean } from './metrics';

/** Metrics over groups of candidates with any number of relevant ones, e.g. DMT's Precision@4 and
 * MRR@4 per request. Groups are CSR: group g owns positions offsets[g] .. offsets[g+1]-1. */
export interface GroupedInput {
  /** [n] one score per candidate */
  scores: Float32Array;
  /** [n] relevance: > 0 is relevant */
  labels: ArrayLike<number>;
  /** [groups + 1] */
  offsets: Int32Array;
  /** cut-offs, default [4] */
  k?: number[];
  /** keep groups without a relevant candidate (they score 0); default false: they are left out */
  keepEmpty?: boolean;
}

export interface GroupedResult {
  /** groups evaluated (after leaving out the empty ones) */
  groups: number;
  skipped: number;
  /** means over groups: precision@k, recall@k, mrr@k, ndcg@k, map@k */
  metrics: Record<string, number>;
  /** per evaluated group values, by the same keys */
  perGroup: Record<string, Float64Array>;
}

/** Ties are broken pessimistically: among equal scores the irrelevant candidates come first.
 * Precision@k divides by k even when a group is shorter; MAP@k divides by min(relevant, k). */
export function evaluateGroups(input: GroupedInput): GroupedResult {
  const { scores, labels, offsets, k = [4], keepEmpty = false } = input;
  const groups = offsets.length - 1;
  if (scores.length !== labels.length || offsets[groups] !== scores.length) {
    throw new CfmError(
      'CFM_E_CONFIG',
      `scores (${scores.length}), labels (${labels.length}) and offsets (last ${offsets[groups]}) disagree`,
      { field: 'offsets' },
    );
  }
  const names = ['precision', 'recall', 'mrr', 'ndcg', 'map'];
  const cols: Record<string, number[]> = {};
  for (const n of names) for (const kk of k) cols[`${n}@${kk}`] = [];
  let skipped = 0;
  let order: number[] = [];
  for (let g = 0; g < groups; g++) {
    const from = offsets[g];
    const to = offsets[g + 1];
    let relevant = 0;
    for (let i = from; i < to; i++) if (labels[i] > 0) relevant++;
    if (relevant === 0 && !keepEmpty) {
      skipped++;
      continue;
    }
    order.length = 0;
    for (let i = from; i < to; i++) order.push(i);
    order = order.sort((a, b) => scores[b] - scores[a] || (labels[a] > 0 ? 1 : 0) - (labels[b] > 0 ? 1 : 0));
    for (const kk of k) {
      let hits = 0;
      let firstHit = 0;
      let dcg = 0;
      let apSum = 0;
      const top = Math.min(kk, order.length);
      for (let r = 0; r < top; r++) {
        if (labels[order[r]] > 0) {
          hits++;
          if (!firstHit) firstHit = r + 1;
          dcg += 1 / Math.log2(r + 2);
          apSum += hits / (r + 1);
        }
      }
      let idcg = 0;
      for (let r = 0; r < Math.min(relevant, kk); r++) idcg += 1 / Math.log2(r + 2);
      cols[`precision@${kk}`].push(hits / kk);
      cols[`recall@${kk}`].push(relevant ? hits / relevant : 0);
      cols[`mrr@${kk}`].push(firstHit ? 1 / firstHit : 0);
      cols[`ndcg@${kk}`].push(idcg ? dcg / idcg : 0);
      cols[`map@${kk}`].push(relevant ? apSum / Math.min(relevant, kk) : 0);
    }
  }
  const perGroup: Record<string, Float64Array> = {};
  const metrics: Record<string, number> = {};
  for (const [key, vs] of Object.entries(cols)) {
    perGroup[key] = Float64Array.from(vs);
    metrics[key] = mean(perGroup[key]);
  }
  return { groups: groups - skipped, skipped, metrics, perGroup };
}

/** CSR offsets from a per-row group id column where equal ids are contiguous (e.g. rows sorted by request). */
export function offsetsFromGroupIds(groupIds: ArrayLike<number | string>): Int32Array {
  const offs = [0];
  for (let i = 1; i < groupIds.length; i++) if (groupIds[i] !== groupIds[i - 1]) offs.push(i);
  if (groupIds.length) offs.push(groupIds.length);
  return Int32Array.from(offs);
}
