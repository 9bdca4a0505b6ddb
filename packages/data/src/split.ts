import { createRng } from '@cfm/core';

/**
 * Events of many customers, sorted by (customer, time, input order). Customer c owns rows
 * custStart[c] .. custStart[c+1]-1. Items are raw indices (into a sorted distinct-item list), not vocab ids.
 */
export interface SortedEvents {
  n: number;
  custStart: Int32Array;
  item: Int32Array;
  type: Int32Array;
  tsMs: Float64Array;
  /** session key per row (hash of the given session id), -1 when none */
  session?: Int32Array;
}

/** Per customer: training rows [start, end). */
export interface TrainPart {
  cust: Int32Array;
  start: Int32Array;
  end: Int32Array;
}
/** Per customer: history rows [start, end) and the target row (all history rows are before the target). */
export interface EvalPart extends TrainPart {
  target: Int32Array;
}
export interface SplitPlan {
  kind: 'temporal' | 'loo' | 'customer';
  train: TrainPart;
  valid: EvalPart;
  test: EvalPart;
  cutoffsMs?: [number, number];
  /** customers left out of an eval part because they had no history or no target there */
  skipped: { valid: number; test: number };
}

class PartBuilder {
  cust: number[] = [];
  start: number[] = [];
  end: number[] = [];
  target: number[] = [];
  add(c: number, s: number, e: number, t = -1): void {
    this.cust.push(c);
    this.start.push(s);
    this.end.push(e);
    this.target.push(t);
  }
  train(): TrainPart {
    return { cust: Int32Array.from(this.cust), start: Int32Array.from(this.start), end: Int32Array.from(this.end) };
  }
  eval(): EvalPart {
    return { ...this.train(), target: Int32Array.from(this.target) };
  }
}

const customers = (ev: SortedEvents) => ev.custStart.length - 1;

/** Leave-one-out (BERT4Rec / S3-Rec): last = test target, second to last = valid target, train = the rest. */
export function leaveOneOutSplit(ev: SortedEvents): SplitPlan {
  const train = new PartBuilder(), valid = new PartBuilder(), test = new PartBuilder();
  let skippedValid = 0, skippedTest = 0;
  for (let c = 0; c < customers(ev); c++) {
    const s = ev.custStart[c], e = ev.custStart[c + 1], n = e - s;
    if (n >= 3) {
      train.add(c, s, e - 2);
      valid.add(c, s, e - 2, e - 2);
      test.add(c, s, e - 1, e - 1);
    } else if (n === 2) {
      train.add(c, s, s + 1);
      test.add(c, s, s + 1, s + 1);
      skippedValid++;
    } else {
      train.add(c, s, e);
      skippedValid++;
      skippedTest++;
    }
  }
  return { kind: 'loo', train: train.train(), valid: valid.eval(), test: test.eval(), skipped: { valid: skippedValid, test: skippedTest } };
}

/** First row of [s, e) with time >= t (rows are time-sorted). */
function lowerBound(ts: Float64Array, s: number, e: number, t: number): number {
  while (s < e) {
    const m = (s + e) >>> 1;
    if (ts[m] < t) s = m + 1;
    else e = m;
  }
  return s;
}

/** Global cut-offs: train < t1 <= valid target < t2 <= test target; histories hold only events before the cut-off. */
export function temporalSplit(ev: SortedEvents, t1: number, t2: number): SplitPlan {
  const train = new PartBuilder(), valid = new PartBuilder(), test = new PartBuilder();
  let skippedValid = 0, skippedTest = 0;
  for (let c = 0; c < customers(ev); c++) {
    const s = ev.custStart[c], e = ev.custStart[c + 1];
    const a = lowerBound(ev.tsMs, s, e, t1);
    const b = lowerBound(ev.tsMs, a, e, t2);
    if (a > s) train.add(c, s, a);
    // valid: history before t1, target = first event in [t1, t2)
    if (a > s && b > a) valid.add(c, s, a, a);
    else if (b > a || a > s) skippedValid++;
    // test: history before t2, target = first event at or after t2
    if (b > s && e > b) test.add(c, s, b, b);
    else if (e > b || b > s) skippedTest++;
  }
  return { kind: 'temporal', train: train.train(), valid: valid.eval(), test: test.eval(), cutoffsMs: [t1, t2], skipped: { valid: skippedValid, test: skippedTest } };
}

/** Customer-disjoint: customers shuffled by seed into train / valid / test; eval target = each customer's last event. */
export function customerSplit(ev: SortedEvents, fractions: [number, number, number], seed: number): SplitPlan {
  const nc = customers(ev);
  const order = createRng(seed).fork('customer-split').shuffle(Array.from({ length: nc }, (_, i) => i));
  const nTrain = Math.round(nc * fractions[0]);
  const nValid = Math.round(nc * fractions[1]);
  const role = new Int8Array(nc);
  order.forEach((c, i) => (role[c] = i < nTrain ? 0 : i < nTrain + nValid ? 1 : 2));
  const train = new PartBuilder(), valid = new PartBuilder(), test = new PartBuilder();
  let skippedValid = 0, skippedTest = 0;
  for (let c = 0; c < nc; c++) {
    const s = ev.custStart[c], e = ev.custStart[c + 1];
    if (role[c] === 0) train.add(c, s, e);
    else if (e - s < 2) role[c] === 1 ? skippedValid++ : skippedTest++;
    else (role[c] === 1 ? valid : test).add(c, s, e - 1, e - 1);
  }
  return { kind: 'customer', train: train.train(), valid: valid.eval(), test: test.eval(), skipped: { valid: skippedValid, test: skippedTest } };
}

/** Default temporal cut-offs: the 80% and 90% quantiles of event time. */
export function defaultCutoffs(ev: SortedEvents): [number, number] {
  const a = Float64Array.from(ev.tsMs.subarray(0, ev.n));
  const k = (p: number) => Math.min(a.length - 1, Math.floor(p * a.length));
  // k-th smallest by selection (O(n)); the 90% one is searched only right of the 80% one
  const k1 = k(0.8), k2 = k(0.9);
  const t1 = select(a, k1, 0, a.length - 1);
  let t2 = select(a, k2, k1, a.length - 1);
  if (t2 <= t1) t2 = t1 + 1;
  return [t1, t2];
}

/** The k-th smallest of a[lo..hi] (Hoare partition, median of three); leaves a partitioned around it. */
function select(a: Float64Array, k: number, lo: number, hi: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
