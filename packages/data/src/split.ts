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
  /** [min, max] of a superset of the times (set by the extraction; still right after de-duplication), when known */
  tsRange?: [number, number];
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
  const train = new PartBuilder(),
    valid = new PartBuilder(),
    test = new PartBuilder();
  let skippedValid = 0,
    skippedTest = 0;
  for (let c = 0; c < customers(ev); c++) {
    const s = ev.custStart[c],
      e = ev.custStart[c + 1],
      n = e - s;
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
  const train = new PartBuilder(),
    valid = new PartBuilder(),
    test = new PartBuilder();
  let skippedValid = 0,
    skippedTest = 0;
  for (let c = 0; c < customers(ev); c++) {
    const s = ev.custStart[c],
      e = ev.custStart[c + 1];
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
  return {
    kind: 'temporal',
    train: train.train(),
    valid: valid.eval(),
    test: test.eval(),
    cutoffsMs: [t1, t2],
    skipped: { valid: skippedValid, test: skippedTest },
  };
}

/** Customer-disjoint: customers shuffled by seed into train / valid / test; eval target = each customer's last event. */
export function customerSplit(ev: SortedEvents, fractions: [number, number, number], seed: number): SplitPlan {
  return customerSplitByRole(ev, customerRoles(customers(ev), fractions, seed));
}

/** The customer-disjoint roles (0 train, 1 valid, 2 test) of customers 0 .. nc-1: shuffled by seed, cut by fractions. */
export function customerRoles(nc: number, fractions: [number, number, number], seed: number): Int8Array {
  const order = createRng(seed)
    .fork('customer-split')
    .shuffle(Array.from({ length: nc }, (_, i) => i));
  const nTrain = Math.round(nc * fractions[0]);
  const nValid = Math.round(nc * fractions[1]);
  const role = new Int8Array(nc);
  order.forEach((c, i) => (role[c] = i < nTrain ? 0 : i < nTrain + nValid ? 1 : 2));
  return role;
}

/** The customer-disjoint split with given roles (`role[c]` of customer c: 0 train, 1 valid, 2 test; customerRoles). */
export function customerSplitByRole(ev: SortedEvents, role: ArrayLike<number>): SplitPlan {
  const nc = customers(ev);
  const train = new PartBuilder(),
    valid = new PartBuilder(),
    test = new PartBuilder();
  let skippedValid = 0,
    skippedTest = 0;
  for (let c = 0; c < nc; c++) {
    const s = ev.custStart[c],
      e = ev.custStart[c + 1];
    if (role[c] === 0) train.add(c, s, e);
    else if (e - s < 2) {
      if (role[c] === 1) skippedValid++;
      else skippedTest++;
    } else (role[c] === 1 ? valid : test).add(c, s, e - 1, e - 1);
  }
  return {
    kind: 'customer',
    train: train.train(),
    valid: valid.eval(),
    test: test.eval(),
    skipped: { valid: skippedValid, test: skippedTest },
  };
}

/** Default temporal cut-offs: the 80% and 90% quantiles of event time. */
export function defaultCutoffs(ev: SortedEvents): [number, number] {
  const n = ev.n;
  const k = (p: number) => Math.min(n - 1, Math.floor(p * n));
  const [t1, t2raw] = kthSmallest(ev.tsMs.subarray(0, n), [k(0.8), k(0.9)], ev.tsRange);
  return [t1, t2raw <= t1 ? t1 + 1 : t2raw];
}

/**
 * The ranks' order statistics of `a` (not modified), exact: a histogram over the value range finds each rank's bucket
 * (bucket = floor((x - min) * scale), monotone in x), then a selection runs on that bucket's values only (no copy
 * and no selection over the whole array).
 */
function kthSmallest(a: Float64Array, ranks: number[], range?: [number, number]): number[] {
  const n = a.length;
  // (any range that holds every value gives the same, exact, result: the buckets only need to be monotone in x)
  let [min, max] = range ?? [Infinity, -Infinity];
  if (!range)
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if (x < min) min = x;
      if (x > max) max = x;
    }
  if (!(max > min)) return ranks.map(() => (n ? a[0] : Number.NaN));
  const buckets = Math.min(1 << 16, n);
  const scale = (buckets - 1) / (max - min);
  // (x - min) * scale is in [0, buckets - 1]: `| 0` is its floor
  const counts = new Int32Array(buckets);
  for (let i = 0; i < n; i++) counts[((a[i] - min) * scale) | 0]++;
  // each rank's bucket and the ranks before it, then one pass gathers the values of those buckets
  const bucketOf = ranks.map((r) => {
    let b = 0,
      before = 0;
    while (before + counts[b] <= r) before += counts[b++];
    return { b, before };
  });
  const lo = Math.min(...bucketOf.map((x) => x.b)),
    hi = Math.max(...bucketOf.map((x) => x.b));
  const vals = new Map(bucketOf.map(({ b }) => [b, { v: new Float64Array(counts[b]), m: 0 }]));
  for (let i = 0; i < n; i++) {
    const b = ((a[i] - min) * scale) | 0;
    if (b < lo || b > hi) continue;
    const slot = vals.get(b);
    if (slot) slot.v[slot.m++] = a[i];
  }
  return ranks.map((r, j) => {
    const { b, before } = bucketOf[j];
    const { v } = vals.get(b)!;
    return select(v.slice(), r - before, 0, v.length - 1);
  });
}

/** The k-th smallest of a[lo..hi] (Hoare partition, median of three); leaves a partitioned around it. */
function select(a: Float64Array, k: number, lo: number, hi: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo],
      y = a[mid],
      z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo,
      j = hi;
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
