import type { Rng } from '@cfm/core';
import type { AlignedSeq } from './aligned';
import { seqLength, sliceSeq } from './aligned';

export interface PrefixSample {
  /** tokens 0 .. targetIndex-1 of every array */
  input: AlignedSeq;
  /** position of the label token in the original sequence */
  targetIndex: number;
  /** item id of the label token */
  target: number;
}

export interface PrefixOptions {
  /** shortest prefix kept as input, default 1 */
  minLength?: number;
  /** which positions may be the label (e.g. only purchases for a purchase task); default: any */
  canBeTarget?: (index: number) => boolean;
}

/** MCM random prefix augmentation (§2.2): pick a label position t uniformly among the allowed ones
 * with t >= minLength, feed tokens [0, t) and predict token t, so no future token leaks into the input.
 * [i1, i2, i3] yields ([i1] → i2) or ([i1, i2] → i3). Returns null when no position qualifies. */
export function randomPrefix(seq: AlignedSeq, rng: Rng, opts: PrefixOptions = {}): PrefixSample | null {
  const n = seqLength(seq);
  const minLength = Math.max(1, opts.minLength ?? 1);
  const allowed: number[] = [];
  for (let t = minLength; t < n; t++) if (!opts.canBeTarget || opts.canBeTarget(t)) allowed.push(t);
  if (allowed.length === 0) return null;
  const t = allowed[rng.int(allowed.length)];
  return { input: sliceSeq(seq, 0, t), targetIndex: t, target: seq.items[t] };
}
