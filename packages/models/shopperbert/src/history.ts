/** Padded history batches that carry event times (padBatch + the aligned times), which the date embeddings need. */
import type { CustomerSequences, SequenceBatch } from '@cfm/core';
import { padBatch } from '@cfm/core';

/** rows = customer indices; ends = optional per-row exclusive end offsets (point in time) */
export function historyBatch(seqs: CustomerSequences, rows: ArrayLike<number>, o: { maxLen: number; ends?: Int32Array }): SequenceBatch {
  const b = padBatch(seqs, rows, o);
  const times = new Float64Array(b.items.length).fill(NaN);
  for (let r = 0; r < rows.length; r++) {
    const end = o.ends ? o.ends[r] : seqs.offsets[rows[r] + 1];
    const n = Math.min(end - seqs.offsets[rows[r]], b.maxLen);
    times.set(seqs.times.subarray(end - n, end), (r + 1) * b.maxLen - n);
  }
  return { ...b, times };
}
