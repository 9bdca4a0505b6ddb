import type { CustomerSequences } from '@cfm/core';
import { CfmError } from '@cfm/core';
import type { BehaviourSpec } from './config';
import { TYPE_VOCAB } from './vocab';

const DAY_S = 86_400;

/**
 * Multi-behaviour sequences (DMT §3.1): one CSR set per channel with the same customers in the same order.
 * Per customer, a channel keeps the events of its types within windowDays before the reference time
 * (default: the customer's last event), most recent maxLen of them, in time order.
 * For eval sets pass the target times as refTimes: histories are already strictly before them.
 */
export function buildMultiBehaviour(
  seqs: CustomerSequences,
  specs: BehaviourSpec[],
  refTimes?: Float64Array,
): Record<string, CustomerSequences> {
  const m = seqs.customerIds.length;
  if (refTimes && refTimes.length !== m)
    throw new CfmError('CFM_E_CONFIG', `refTimes has ${refTimes.length} entries for ${m} customers`, { field: 'refTimes' });
  const out: Record<string, CustomerSequences> = {};
  for (const spec of specs) {
    const wanted = new Set(
      spec.types.map((t) => {
        const id = TYPE_VOCAB.tokens.indexOf(t);
        if (id < 4)
          throw new CfmError('CFM_E_CONFIG', `unknown event type "${t}" in behaviour ${spec.name}`, { field: 'behaviours.types' });
        return id;
      }),
    );
    const offsets = new Int32Array(m + 1);
    const picked: number[] = [];
    for (let c = 0; c < m; c++) {
      const s = seqs.offsets[c],
        e = seqs.offsets[c + 1];
      const ref = refTimes ? refTimes[c] : e > s ? seqs.times[e - 1] : 0;
      const from = ref - spec.windowDays * DAY_S;
      // walk back from the most recent token, keep at most maxLen
      const chosen: number[] = [];
      for (let i = e - 1; i >= s && chosen.length < spec.maxLen; i--) {
        if (seqs.times[i] < from) break;
        if (seqs.times[i] <= ref && wanted.has(seqs.types[i])) chosen.push(i);
      }
      for (let k = chosen.length - 1; k >= 0; k--) picked.push(chosen[k]);
      offsets[c + 1] = picked.length;
    }
    const idx = Int32Array.from(picked);
    out[spec.name] = {
      customerIds: seqs.customerIds,
      offsets,
      items: idx.map((i) => seqs.items[i]),
      types: idx.map((i) => seqs.types[i]),
      times: Float64Array.from(idx, (i) => seqs.times[i]),
    };
  }
  return out;
}
