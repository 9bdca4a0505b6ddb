import { CfmError } from '@cfm/core';

/** Ranking metrics for one relevant item per row, each a function of the target's 1-based rank.
 * With a single relevant item HR@k = Recall@k, and AP@k (MAP@k) = MRR@k = 1/rank inside the top k. */

export type RankMetricName = 'hr' | 'recall' | 'precision' | 'ndcg' | 'mrr' | 'map';

export interface RankMetric {
  name: RankMetricName;
  /** what the metric is computed from: the target's rank in the row */
  needs: 'rank';
  higherIsBetter: true;
  /** value for a target at `rank` (1-based, may be fractional under average ties) with cut-off k; k = Infinity means no cut-off */
  atRank(rank: number, k: number): number;
}

const hit = (rank: number, k: number) => (rank <= k ? 1 : 0);

export const RANK_METRICS: Record<RankMetricName, RankMetric> = {
  hr: { name: 'hr', needs: 'rank', higherIsBetter: true, atRank: hit },
  recall: { name: 'recall', needs: 'rank', higherIsBetter: true, atRank: hit },
  precision: { name: 'precision', needs: 'rank', higherIsBetter: true, atRank: (r, k) => (r <= k ? 1 / k : 0) },
  ndcg: { name: 'ndcg', needs: 'rank', higherIsBetter: true, atRank: (r, k) => (r <= k ? 1 / Math.log2(r + 1) : 0) },
  mrr: { name: 'mrr', needs: 'rank', higherIsBetter: true, atRank: (r, k) => (r <= k ? 1 / r : 0) },
  map: { name: 'map', needs: 'rank', higherIsBetter: true, atRank: (r, k) => (r <= k ? 1 / r : 0) },
};

/** 'ndcg@10' → { metric: ndcg, k: 10 }; 'mrr' → k = Infinity. */
export function parseMetricKey(key: string): { metric: RankMetric; k: number } {
  const [name, at] = key.split('@');
  const metric = RANK_METRICS[name as RankMetricName];
  const k = at === undefined ? Infinity : Number(at);
  if (!metric || !(k >= 1))
    throw new CfmError(
      'CFM_E_CONFIG',
      `unknown ranking metric "${key}" (use hr|recall|precision|ndcg|mrr|map, optionally @k with k >= 1)`,
      { field: 'metrics' },
    );
  return { metric, k };
}

/** Per-row values of one metric key from the rows' target ranks. */
export function metricFromRanks(ranks: Float64Array, key: string): Float64Array {
  const { metric, k } = parseMetricKey(key);
  const out = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) out[i] = metric.atRank(ranks[i], k);
  return out;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : Number.NaN;
}

/** The default metric keys for cut-offs ks: hr, ndcg, recall, precision, map at every k, plus mrr (no cut-off). */
export function defaultMetricKeys(ks: number[]): string[] {
  const keys: string[] = [];
  for (const name of ['hr', 'ndcg', 'recall', 'precision', 'map', 'mrr'] as const) for (const k of ks) keys.push(`${name}@${k}`);
  keys.push('mrr');
  return keys;
}
