import { describe, expect, it } from 'vitest';
import type { CustomerSequences } from '@cfm/core';
import { allCustomers, asOfEnds, asOfSeconds, exportOrder, fullSequences } from './sequences';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
// a: 3 events on Jan 1, 2, 5; b: 1 event on Jan 10; c: 2 events on Jan 2, 3
const seqs: CustomerSequences = {
  customerIds: ['a', 'b', 'c'],
  offsets: Int32Array.from([0, 3, 4, 6]),
  items: Int32Array.from([10, 11, 12, 20, 30, 31]),
  types: new Int32Array(6),
  times: Float64Array.from(['2024-01-01', '2024-01-02', '2024-01-05', '2024-01-10', '2024-01-02', '2024-01-03'].map(day)),
};

describe('point-in-time sequences', () => {
  it('keeps only events strictly before the as-of date', () => {
    expect(Array.from(asOfEnds(seqs, asOfSeconds('2024-01-05')))).toEqual([2, 3, 6]);
    expect(Array.from(asOfEnds(seqs, asOfSeconds('2024-01-02')))).toEqual([1, 3, 4]);
    expect(Array.from(asOfEnds(seqs, asOfSeconds('2030-01-01')))).toEqual([3, 4, 6]);
  });
  it('drops customers with no history before the cut and orders the rest by length', () => {
    expect(exportOrder(seqs, asOfEnds(seqs, asOfSeconds('2024-01-05')), 50)).toEqual([0, 2]);
    expect(exportOrder(seqs, asOfEnds(seqs, asOfSeconds('2030-01-01')), 50)).toEqual([1, 2, 0]);
    expect(exportOrder(seqs, asOfEnds(seqs, asOfSeconds('2030-01-01')), 2)).toEqual([1, 0, 2]);
  });
  it('rejects a date it cannot read, naming the field', () => {
    expect(() => asOfSeconds('01/05/2024x')).toThrow(/CFM_E_CONFIG.*field "asOf"/);
  });
  it('appends each eval target to its history as the latest event', () => {
    const full = fullSequences({
      history: seqs,
      targets: Int32Array.from([13, 21, 32]),
      targetTimes: Float64Array.from([day('2024-02-01'), day('2024-02-02'), day('2024-02-03')]),
    });
    expect(Array.from(full.offsets)).toEqual([0, 4, 6, 9]);
    expect(Array.from(full.items)).toEqual([10, 11, 12, 13, 20, 21, 30, 31, 32]);
    expect(full.times[3]).toBe(day('2024-02-01'));
  });
});

describe('allCustomers', () => {
  it('takes test customers with their target, then customers only in train, once each', () => {
    const test = {
      history: { ...seqs, customerIds: ['a', 'b', 'c'] },
      targets: Int32Array.from([13, 21, 32]),
      targetTimes: Float64Array.from([1, 2, 3].map((d) => day(`2024-03-0${d}`))),
    };
    const train: CustomerSequences = {
      customerIds: ['a', 'z'],
      offsets: Int32Array.from([0, 1, 3]),
      items: Int32Array.from([10, 90, 91]),
      types: new Int32Array(3),
      times: Float64Array.from([1, 2, 3]),
    };
    const empty = {
      history: {
        customerIds: [],
        offsets: Int32Array.from([0]),
        items: new Int32Array(0),
        types: new Int32Array(0),
        times: new Float64Array(0),
      },
      targets: new Int32Array(0),
    };
    const all = allCustomers({ train, valid: empty, test });
    expect(all.customerIds).toEqual(['a', 'b', 'c', 'z']);
    expect(Array.from(all.offsets)).toEqual([0, 4, 6, 9, 11]);
    expect(Array.from(all.items.subarray(9))).toEqual([90, 91]);
  });
});
