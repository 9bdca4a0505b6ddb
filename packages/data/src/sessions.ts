import type { CustomerSequences } from '@cfm/core';

/**
 * Per-token session index within each customer (0, 1, ...): a new session starts when the given
 * session key changes (keys >= 0), or, without keys, after an inactivity gap longer than gapSeconds.
 */
export function assignSessions(seqs: CustomerSequences, opts: { gapSeconds?: number; keys?: Int32Array } = {}): Int32Array {
  const gap = opts.gapSeconds ?? 30 * 60;
  const out = new Int32Array(seqs.items.length);
  const keys = opts.keys;
  for (let c = 0; c + 1 < seqs.offsets.length; c++) {
    let session = 0;
    for (let i = seqs.offsets[c]; i < seqs.offsets[c + 1]; i++) {
      if (i > seqs.offsets[c]) {
        const newByKey = keys && keys[i] >= 0 && keys[i - 1] >= 0 ? keys[i] !== keys[i - 1] : false;
        const newByGap = (!keys || keys[i] < 0 || keys[i - 1] < 0) && seqs.times[i] - seqs.times[i - 1] > gap;
        if (newByKey || newByGap) session++;
      }
      out[i] = session;
    }
  }
  return out;
}

/** One row per session: CSR over sessions, with the owning customer index of each. */
export function sessionSequences(seqs: CustomerSequences & { sessions: Int32Array }): CustomerSequences & { customerOf: Int32Array } {
  const starts: number[] = [];
  const owner: number[] = [];
  for (let c = 0; c + 1 < seqs.offsets.length; c++)
    for (let i = seqs.offsets[c]; i < seqs.offsets[c + 1]; i++)
      if (i === seqs.offsets[c] || seqs.sessions[i] !== seqs.sessions[i - 1]) {
        starts.push(i);
        owner.push(c);
      }
  starts.push(seqs.items.length);
  const offsets = Int32Array.from(starts);
  return {
    customerIds: owner.map((c, k) => `${seqs.customerIds[c]}#${seqs.sessions[starts[k]]}`),
    customerOf: Int32Array.from(owner),
    offsets,
    items: seqs.items,
    types: seqs.types,
    times: seqs.times,
    sessions: seqs.sessions,
  };
}
