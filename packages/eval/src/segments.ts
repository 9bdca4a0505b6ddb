import { CfmError } from '@cfm/core';
import type { RowExclusions, RankingOptions, RankingResult } from './ranking';
import { summarizeRanks } from './ranking';

/** A named subset of evaluation rows. */
export interface Segment {
  name: string;
  /** row indices, ascending */
  rows: Int32Array;
  /** how the segment was cut, stated in reports, e.g. 'history length <= 3 (bottom 10 %)' */
  rule: string;
}

/** History length per row from CSR offsets. */
export function historyLengths(offsets: Int32Array): Int32Array {
  const n = offsets.length - 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = offsets[i + 1] - offsets[i];
  return out;
}

function rowsWhere(n: number, keep: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
}

/** Cold (bottom `fraction` by history length) and heavy (top `fraction`) customers.
 * Cut-offs are the length quantiles, so ties at a cut-off all fall inside the segment. */
export function coldHeavySegments(lengths: Int32Array, fraction = 0.1): Segment[] {
  if (!(fraction > 0 && fraction < 0.5))
    throw new CfmError('CFM_E_CONFIG', `fraction must be in (0, 0.5), got ${fraction}`, { field: 'fraction' });
  const n = lengths.length;
  if (n === 0) return [];
  const sorted = Int32Array.from(lengths).sort();
  const low = sorted[Math.max(0, Math.ceil(fraction * n) - 1)];
  const high = sorted[Math.min(n - 1, Math.floor((1 - fraction) * n))];
  const pct = `${Math.round(fraction * 100)} %`;
  return [
    { name: 'cold', rows: rowsWhere(n, (i) => lengths[i] <= low), rule: `history length <= ${low} (bottom ${pct})` },
    { name: 'heavy', rows: rowsWhere(n, (i) => lengths[i] >= high), rule: `history length >= ${high} (top ${pct})` },
  ];
}

/** Rows whose target occurs in the customer's own history ('seen') or not ('not-seen'). */
export function seenTargetSegments(targets: Int32Array, history: RowExclusions): Segment[] {
  const seen = new Uint8Array(targets.length);
  for (let r = 0; r < targets.length; r++) {
    for (let i = history.offsets[r]; i < history.offsets[r + 1]; i++) {
      if (history.ids[i] === targets[r]) {
        seen[r] = 1;
        break;
      }
    }
  }
  return [
    { name: 'seen', rows: rowsWhere(targets.length, (i) => seen[i] === 1), rule: 'target item in the customer history' },
    { name: 'not-seen', rows: rowsWhere(targets.length, (i) => seen[i] === 0), rule: 'target item not in the customer history' },
  ];
}

/** Rows whose target item never occurs in training ('cold-item'), from per-item train counts. */
export function coldItemSegment(targets: Int32Array, trainCounts: ArrayLike<number>): Segment {
  return {
    name: 'cold-item',
    rows: rowsWhere(targets.length, (i) => !(trainCounts[targets[i]] > 0)),
    rule: 'target item absent from the train split',
  };
}

/** Values of the given rows. */
export function pick(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

/** Ranking metrics of every segment (plus 'all'). */
export function evaluateSegments(
  result: RankingResult,
  segments: Segment[],
  opts: RankingOptions = {},
): Array<{ segment: string; rule: string; result: RankingResult }> {
  const keys = opts.metrics ?? Object.keys(result.metrics);
  const out = [{ segment: 'all', rule: 'every row', result: summarizeRanks(result.ranks, { metrics: keys }, result.ties) }];
  for (const s of segments)
    out.push({ segment: s.name, rule: s.rule, result: summarizeRanks(pick(result.ranks, s.rows), { metrics: keys }, result.ties) });
  return out;
}
