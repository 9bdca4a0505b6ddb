import { CfmError } from '@cfm/core';
import type { CustomerSequences } from '@cfm/core';

export type TokenArray = Int32Array | Float32Array | Float64Array;

/** One sequence: item ids plus side arrays aligned with them (types, times, feature ids ...).
 * Every array has the same length; augmentations move all of them together. */
export interface AlignedSeq {
  items: Int32Array;
  [side: string]: TokenArray;
}

export function seqLength(seq: AlignedSeq): number {
  const n = seq.items.length;
  for (const [name, arr] of Object.entries(seq)) {
    if (arr.length !== n)
      throw new CfmError('CFM_E_CONFIG', `side array "${name}" has ${arr.length} tokens, items has ${n}`, { field: name });
  }
  return n;
}

/** Tokens from .. to-1 of every array (copies, so the input stays untouched). */
export function sliceSeq(seq: AlignedSeq, from: number, to: number): AlignedSeq {
  const out = {} as AlignedSeq;
  for (const [name, arr] of Object.entries(seq)) out[name] = arr.slice(from, to);
  return out;
}

/** out[i] = seq[order[i]] for every array. */
export function permuteSeq(seq: AlignedSeq, order: ArrayLike<number>): AlignedSeq {
  const out = {} as AlignedSeq;
  for (const [name, arr] of Object.entries(seq)) {
    const dst = new (arr.constructor as { new (n: number): TokenArray })(order.length);
    for (let i = 0; i < order.length; i++) dst[i] = arr[order[i]];
    out[name] = dst;
  }
  return out;
}

/** Customer c of a CSR set as an aligned sequence of views (no copy): items, types, times (and sessions). */
export function customerSeq(seqs: CustomerSequences, c: number): AlignedSeq {
  const from = seqs.offsets[c];
  const to = seqs.offsets[c + 1];
  const seq: AlignedSeq = {
    items: seqs.items.subarray(from, to),
    types: seqs.types.subarray(from, to),
    times: seqs.times.subarray(from, to),
  };
  if (seqs.sessions) seq.sessions = seqs.sessions.subarray(from, to);
  return seq;
}

/** n × ratio rounded down / up, robust to 0.3 * 10 = 3.0000000000000004. */
export function portion(n: number, ratio: number, round: 'floor' | 'ceil'): number {
  const x = n * ratio;
  return round === 'floor' ? Math.floor(x + 1e-9) : Math.ceil(x - 1e-9);
}
