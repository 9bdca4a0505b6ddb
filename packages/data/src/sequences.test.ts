import { describe, expect, it } from 'vitest';
import type { CustomerSequences } from '@cfm/core';
import {
  DMT_BEHAVIOURS,
  TYPE_VOCAB,
  assignSessions,
  buildCustomerSequences,
  buildMultiBehaviour,
  dedupSorted,
  sessionSequences,
} from './index';

const T = (name: string) => TYPE_VOCAB.tokens.indexOf(name);
const DAY = 86_400;

function seqs(rows: Array<[number, string, number]>): CustomerSequences {
  return {
    customerIds: ['a'],
    offsets: Int32Array.from([0, rows.length]),
    items: Int32Array.from(rows, (r) => r[0]),
    types: Int32Array.from(rows, (r) => T(r[1])),
    times: Float64Array.from(rows, (r) => r[2]),
  };
}

describe('multi-behaviour sequences', () => {
  it('keeps per channel only its types within its window, most recent maxLen, in time order', () => {
    const rows: Array<[number, string, number]> = [];
    for (let k = 0; k < 80; k++) rows.push([10 + k, 'click', 400 * DAY + k * 3600]); // 80 clicks in the last ~3.3 days
    rows.unshift([5, 'click', 390 * DAY]); // click 10+ days before the end: outside 7 days
    rows.unshift([6, 'cart', 100 * DAY], [7, 'cart', 380 * DAY], [8, 'purchase', 30 * DAY]);
    rows.sort((a, b) => a[2] - b[2]);
    const mb = buildMultiBehaviour(seqs(rows), DMT_BEHAVIOURS);
    expect(mb.click.items.length).toBe(50);
    expect(Array.from(mb.click.items.slice(-2))).toEqual([88, 89]);
    expect(Array.from(mb.cart.items)).toEqual([6, 7]);
    expect(Array.from(mb.order.items)).toEqual([]); // purchase is > 1 year before the last event
    const times = Array.from(mb.click.times);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('uses the reference time and ignores events after it', () => {
    const s = seqs([
      [1, 'cart', 10 * DAY],
      [2, 'cart', 20 * DAY],
    ]);
    const mb = buildMultiBehaviour(s, DMT_BEHAVIOURS, Float64Array.from([15 * DAY]));
    expect(Array.from(mb.cart.items)).toEqual([1]);
  });
});

describe('sessions', () => {
  it('splits on an inactivity gap, or on a change of the given session key', () => {
    const s = seqs([
      [1, 'view', 0],
      [2, 'view', 600],
      [3, 'view', 600 + 3 * 3600],
      [4, 'view', 600 + 3 * 3600 + 60],
    ]);
    expect(Array.from(assignSessions(s))).toEqual([0, 0, 1, 1]);
    expect(Array.from(assignSessions(s, { keys: Int32Array.from([7, 8, 8, 8]) }))).toEqual([0, 1, 1, 1]);
    const per = sessionSequences({ ...s, sessions: assignSessions(s) });
    expect(per.customerIds).toEqual(['a#0', 'a#1']);
    expect(Array.from(per.offsets)).toEqual([0, 2, 4]);
  });
});

describe('de-duplication', () => {
  const ev = () => ({
    n: 5,
    custStart: Int32Array.from([0, 5]),
    item: Int32Array.from([1, 1, 2, 1, 1]),
    type: Int32Array.from([4, 4, 4, 4, 6]),
    tsMs: Float64Array.from([1000, 1000, 1000, 5000, 5000]),
  });
  it("'exact' drops repeats of the same item, type and time", () => {
    const e = ev();
    expect(dedupSorted(e, 'exact')).toBe(1);
    expect(Array.from(e.item.subarray(0, e.n))).toEqual([1, 2, 1, 1]);
  });
  it("'exact' moves the later customers' rows up and keeps their own first rows", () => {
    // customer 0 has one repeat; customer 1 starts with the same item, type and time as customer 0's last row
    const e = {
      n: 6,
      custStart: Int32Array.from([0, 3, 6]),
      item: Int32Array.from([1, 1, 2, 2, 2, 3]),
      type: Int32Array.from([4, 4, 4, 4, 4, 4]),
      tsMs: Float64Array.from([1000, 1000, 2000, 2000, 2000, 3000]),
      session: Int32Array.from([0, 1, 2, 3, 4, 5]),
    };
    expect(dedupSorted(e, 'exact')).toBe(2);
    expect([e.n, Array.from(e.custStart)]).toEqual([4, [0, 2, 4]]);
    expect(Array.from(e.item.subarray(0, 4))).toEqual([1, 2, 2, 3]);
    expect(Array.from(e.session.subarray(0, 4))).toEqual([0, 2, 3, 5]);
  });
  it("'day' keeps one per item and type per day", () => {
    const e = ev();
    expect(dedupSorted(e, 'day')).toBe(2);
    expect(Array.from(e.type.subarray(0, e.n))).toEqual([4, 4, 6]);
  });
});

describe('customer sequences', () => {
  it('give each split the sessions assignSessions gives its truncated sequence (computed once per event)', () => {
    // 3 customers, 40 events each, times with gaps of 10 min or 2 h, some session keys missing
    const n = 120,
      per = 40;
    const custStart = Int32Array.from([0, 40, 80, 120]);
    const tsMs = new Float64Array(n),
      item = new Int32Array(n),
      type = new Int32Array(n).fill(4),
      session = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      tsMs[i] = (i % per === 0 ? 0 : tsMs[i - 1]) + (i % 7 === 0 ? 7_200_000 : 600_000);
      item[i] = i % 9;
      session[i] = i % 5 === 0 ? -1 : Math.floor(i / 6);
    }
    for (const keys of [session, undefined]) {
      const ctx = {
        events: { n, custStart, item, type, tsMs, session: keys },
        customerIds: ['a', 'b', 'c'],
        rawToId: Int32Array.from({ length: 9 }, (_, k) => 4 + k),
        maxSeqLen: 25,
      };
      const part = { cust: Int32Array.from([0, 1, 2]), start: Int32Array.from([0, 40, 80]), end: Int32Array.from([30, 75, 120]) };
      const seq = buildCustomerSequences(ctx, part);
      expect(seq.truncated).toBe(5 + 10 + 15);
      const kept = Array.from({ length: 3 }, (_, k) =>
        Array.from({ length: seq.offsets[k + 1] - seq.offsets[k] }, (_, j) => part.end[k] - (seq.offsets[k + 1] - seq.offsets[k]) + j),
      ).flat();
      const expected = assignSessions(seq, { keys: keys ? Int32Array.from(kept, (i) => keys[i]) : undefined });
      expect(Array.from(seq.sessions!)).toEqual(Array.from(expected));
      expect(Array.from(seq.items)).toEqual(kept.map((i) => 4 + item[i]));
      expect(Array.from(seq.times)).toEqual(kept.map((i) => tsMs[i] / 1000));
    }
  });
});
