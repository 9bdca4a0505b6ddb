import { CfmError, RESERVED_IDS, createRng } from '@cfm/core';
import type { Rng } from '@cfm/core';
import type { RowExclusions } from './ranking';

/** The sampled-candidates protocol: the target plus `count` negatives per row, drawn without
 * replacement from items the customer has not interacted with (never the target, never a reserved id). */
export interface NegativeProtocol {
  kind: 'uniform' | 'popularity';
  /** negatives per row, 100 in BERT4Rec / SASRec */
  count: number;
  seed: number;
}

export interface NegativeSampler {
  /** `count` distinct negatives for one row */
  sample(target: number, history: ArrayLike<number>, rng: Rng, out?: Int32Array): Int32Array;
}

/** Items firstItem .. itemCount-1 are candidates; popularity[i] is item i's weight (counts in train). */
export function createNegativeSampler(
  protocol: Pick<NegativeProtocol, 'kind' | 'count'>,
  itemCount: number,
  popularity?: ArrayLike<number>,
  firstItem = RESERVED_IDS,
): NegativeSampler {
  const { kind, count } = protocol;
  let cumulative: Float64Array | undefined;
  if (kind === 'popularity') {
    if (!popularity || popularity.length < itemCount) {
      throw new CfmError('CFM_E_CONFIG', `popularity sampling needs a popularity array of length ${itemCount}`, { field: 'popularity' });
    }
    cumulative = new Float64Array(itemCount - firstItem);
    let s = 0;
    for (let i = firstItem; i < itemCount; i++) cumulative[i - firstItem] = s += Math.max(0, popularity[i]);
  }
  const draw = (rng: Rng): number => {
    if (!cumulative) return firstItem + rng.int(itemCount - firstItem);
    const u = rng.next() * cumulative[cumulative.length - 1];
    let lo = 0,
      hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return firstItem + lo;
  };
  const weightOf = (i: number) => (popularity ? Math.max(0, popularity[i]) : 1);
  return {
    sample(target, history, rng, out = new Int32Array(count)) {
      const taken = new Set<number>([target]);
      for (let i = 0; i < history.length; i++) taken.add(history[i]);
      let n = 0;
      // rejection sampling; falls back to an exact draw over the eligible items when most mass is excluded
      for (let tries = 0; n < count && tries < 50 * count; tries++) {
        const c = draw(rng);
        if (taken.has(c)) continue;
        taken.add(c);
        out[n++] = c;
      }
      if (n < count) {
        const eligible: number[] = [];
        for (let i = firstItem; i < itemCount; i++) if (!taken.has(i) && (kind === 'uniform' || weightOf(i) > 0)) eligible.push(i);
        if (eligible.length < count - n) {
          throw new CfmError(
            'CFM_E_CONFIG',
            `only ${n + eligible.length} ${kind} negatives exist for target ${target}, ${count} requested`,
            { field: 'negatives' },
          );
        }
        while (n < count) {
          let total = 0;
          for (const i of eligible) total += weightOf(i);
          let u = rng.next() * total;
          let pick = eligible.length - 1;
          for (let j = 0; j < eligible.length; j++)
            if ((u -= weightOf(eligible[j])) < 0) {
              pick = j;
              break;
            }
          out[n++] = eligible[pick];
          eligible.splice(pick, 1);
        }
      }
      return out;
    },
  };
}

/** One row's negatives (builds a sampler per call; use createNegativeSampler in loops). */
export function sampleNegatives(
  protocol: Pick<NegativeProtocol, 'kind' | 'count'>,
  target: number,
  history: ArrayLike<number>,
  itemCount: number,
  popularity: ArrayLike<number> | undefined,
  rng: Rng,
  firstItem = RESERVED_IDS,
): Int32Array {
  return createNegativeSampler(protocol, itemCount, popularity, firstItem).sample(target, history, rng);
}

/** Candidates for every row, [rows, 1 + count], target in column 0 (so targets = zeros for evaluateRanking).
 * Row r draws from its own stream createRng(`${seed}/neg/${r}`), so a row's negatives do not depend on the batch. */
export function buildSampledCandidates(opts: {
  targets: Int32Array;
  history: RowExclusions;
  itemCount: number;
  popularity?: ArrayLike<number>;
  protocol: NegativeProtocol;
  /** smallest candidate id, default RESERVED_IDS (4); 1 for raw benchmark files whose ids start at 1 */
  firstItem?: number;
}): Int32Array {
  const { targets, history, itemCount, popularity, protocol, firstItem = RESERVED_IDS } = opts;
  const width = 1 + protocol.count;
  const out = new Int32Array(targets.length * width);
  const sampler = createNegativeSampler(protocol, itemCount, popularity, firstItem);
  for (let r = 0; r < targets.length; r++) {
    out[r * width] = targets[r];
    const hist = history.ids.subarray(history.offsets[r], history.offsets[r + 1]);
    sampler.sample(targets[r], hist, createRng(`${protocol.seed}/neg/${r}`), out.subarray(r * width + 1, (r + 1) * width));
  }
  return out;
}

/** Picks each row's candidate scores out of full-vocabulary scores: [rows, cols] → [rows, width]. */
export function gatherScores(full: Float32Array, cols: number, candidates: Int32Array, width: number): Float32Array {
  const rows = candidates.length / width;
  if (full.length !== rows * cols) {
    throw new CfmError('CFM_E_CONFIG', `full scores have ${full.length} values, expected ${rows}*${cols}`, { field: 'scores' });
  }
  const out = new Float32Array(candidates.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) out[r * width + j] = full[r * cols + candidates[r * width + j]];
  return out;
}

/** Item popularity (interaction counts) from a flat item-id array, e.g. CustomerSequences.items of the train split. */
export function itemPopularity(items: Int32Array, itemCount: number): Float64Array {
  const pop = new Float64Array(itemCount);
  for (let i = 0; i < items.length; i++) if (items[i] >= 0 && items[i] < itemCount) pop[items[i]]++;
  return pop;
}
