import { CfmError } from '@cfm/core';
import type { Rng } from '@cfm/core';
import type { AlignedSeq } from './aligned';
import { permuteSeq, portion, seqLength, sliceSeq } from './aligned';

/** ShopperBERT Algorithm 1 settings (§3.3): augment 30 % of a batch, crop : shuffle = 1 : 1,
 * shuffle a 30 % window, crop 0–70 % of the logs. */
export interface CropShuffleOptions {
  /** share of the batch that is augmented, default 0.3 */
  fraction?: number;
  /** p_crop: probability that an augmented row is cropped rather than shuffled, default 0.5 */
  cropProbability?: number;
  /** window / minimum kept share, |s| × 0.30 in Algorithm 1 */
  window?: number;
  /** latest window start, |s| × 0.70 in Algorithm 1 */
  maxStart?: number;
}

export type CropShuffleKind = 'crop' | 'shuffle';

export interface Augmented {
  seq: AlignedSeq;
  kind: CropShuffleKind;
  /** the window [from, to) of the original sequence that was kept (crop) or shuffled (shuffle) */
  from: number;
  to: number;
}

const between = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1); // integer in [lo, hi]

/** Algorithm 1 on one sequence:
 * l ← U{0 .. ⌊0.7|s|⌋}; with p_crop: h ← U{l + ⌈0.3|s|⌉ .. |s|}, s_aug = s[l:h];
 * else h ← l + ⌈0.3|s|⌉, s_aug = s with s[l:h] shuffled. Side arrays move with their items. */
export function cropOrShuffle(seq: AlignedSeq, rng: Rng, opts: CropShuffleOptions = {}): Augmented {
  const { cropProbability = 0.5, window = 0.3, maxStart = 0.7 } = opts;
  if (!(window > 0 && window <= 1 && maxStart >= 0 && maxStart + window <= 1 + 1e-9)) {
    throw new CfmError('CFM_E_CONFIG', `need 0 < window <= 1 and maxStart + window <= 1, got window ${window}, maxStart ${maxStart}`, {
      field: 'window',
    });
  }
  const n = seqLength(seq);
  const span = portion(n, window, 'ceil');
  const l = between(rng, 0, Math.min(portion(n, maxStart, 'floor'), n - span));
  if (rng.next() < cropProbability) {
    const h = between(rng, l + span, n);
    return { seq: sliceSeq(seq, l, h), kind: 'crop', from: l, to: h };
  }
  const h = l + span;
  const order = Array.from({ length: n }, (_, i) => i);
  const windowOrder = rng.shuffle(order.slice(l, h));
  for (let i = l; i < h; i++) order[i] = windowOrder[i - l];
  return { seq: permuteSeq(seq, order), kind: 'shuffle', from: l, to: h };
}

/** Algorithm 1 over a batch: exactly round(fraction × B) rows, chosen at random, are cropped or
 * shuffled; the others are returned as they are (same object). */
export function augmentBatch(
  batch: AlignedSeq[],
  rng: Rng,
  opts: CropShuffleOptions = {},
): Array<Augmented | { seq: AlignedSeq; kind: 'none' }> {
  const fraction = opts.fraction ?? 0.3;
  const chosen = new Set(rng.shuffle(Array.from(batch.keys())).slice(0, Math.round(fraction * batch.length)));
  return batch.map((seq, i) => (chosen.has(i) && seq.items.length > 0 ? cropOrShuffle(seq, rng, opts) : { seq, kind: 'none' as const }));
}
