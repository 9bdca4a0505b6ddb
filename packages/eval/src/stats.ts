import { CfmError } from '@cfm/core';
import { binomialHalfCdf, normalCdf, studentTCdf, studentTQuantile } from './distributions';

export interface SeedSummary {
  n: number;
  mean: number;
  /** sample standard deviation (n − 1) */
  std: number;
  /** 95 % confidence interval of the mean, t-distribution with n − 1 degrees of freedom */
  ci95: [number, number];
  values: number[];
}

/** Mean, standard deviation and 95 % t-interval of one metric over repeated runs (seeds). */
export function summarizeSeeds(values: ArrayLike<number>): SeedSummary {
  const xs = Array.from(values);
  const n = xs.length;
  if (n === 0) throw new CfmError('CFM_E_CONFIG', 'summarizeSeeds needs at least one value', { field: 'values' });
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  const half = n > 1 ? studentTQuantile(0.975, n - 1) * (std / Math.sqrt(n)) : Number.NaN;
  return { n, mean, std, ci95: [mean - half, mean + half], values: xs };
}

export type PairedTestName = 't' | 'wilcoxon' | 'sign';

export interface PairedTestResult {
  test: PairedTestName;
  /** pairs used (Wilcoxon and sign test drop zero differences) */
  n: number;
  /** mean of a − b over all pairs */
  meanDiff: number;
  /** t, W+ or the number of positive differences */
  statistic: number;
  /** two-sided */
  pValue: number;
  /** 'exact' or 'normal' (Wilcoxon with ties or more than 50 pairs; sign test is always exact) */
  method: 'exact' | 'normal' | 't';
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length)
    throw new CfmError('CFM_E_CONFIG', `paired test needs equal lengths, got ${a.length} and ${b.length}`, { field: 'values' });
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return d;
}

/** Two-sided paired t-test of a against b. */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTestResult {
  const d = differences(a, b);
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  if (n < 2) return { test: 't', n, meanDiff: mean, statistic: Number.NaN, pValue: Number.NaN, method: 't' };
  if (sd === 0)
    return {
      test: 't',
      n,
      meanDiff: mean,
      statistic: mean === 0 ? 0 : Math.sign(mean) * Infinity,
      pValue: mean === 0 ? 1 : 0,
      method: 't',
    };
  const t = mean / (sd / Math.sqrt(n));
  return { test: 't', n, meanDiff: mean, statistic: t, pValue: Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), n - 1))), method: 't' };
}

/** Two-sided Wilcoxon signed-rank test (zero differences dropped, average ranks for ties).
 * Exact null distribution up to 50 pairs without ties, else normal approximation with tie and continuity correction. */
export function wilcoxonTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTestResult {
  const all = differences(a, b);
  const meanDiff = all.reduce((s, x) => s + x, 0) / all.length;
  const d = all.filter((x) => x !== 0);
  const n = d.length;
  if (n === 0) return { test: 'wilcoxon', n, meanDiff, statistic: 0, pValue: 1, method: 'exact' };
  const order = Array.from(d.keys()).sort((i, j) => Math.abs(d[i]) - Math.abs(d[j]));
  let wPlus = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]]) === Math.abs(d[order[i]])) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    for (let q = i; q <= j; q++) if (d[order[q]] > 0) wPlus += rank;
    i = j + 1;
  }
  if (tieTerm === 0 && n <= 50) {
    // counts[s] = number of sign patterns with W+ = s
    const max = (n * (n + 1)) / 2;
    const counts = new Float64Array(max + 1);
    counts[0] = 1;
    for (let r = 1; r <= n; r++) for (let s = max; s >= r; s--) counts[s] += counts[s - r];
    const total = 2 ** n;
    let lower = 0,
      upper = 0;
    for (let s = 0; s <= max; s++) {
      if (s <= wPlus) lower += counts[s];
      if (s >= wPlus) upper += counts[s];
    }
    return { test: 'wilcoxon', n, meanDiff, statistic: wPlus, pValue: Math.min(1, (2 * Math.min(lower, upper)) / total), method: 'exact' };
  }
  const mu = (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const z = sigma ? Math.max(0, Math.abs(wPlus - mu) - 0.5) / sigma : 0;
  return { test: 'wilcoxon', n, meanDiff, statistic: wPlus, pValue: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal' };
}

/** Two-sided exact sign test (zero differences dropped). */
export function signTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTestResult {
  const d = differences(a, b);
  const meanDiff = d.reduce((s, x) => s + x, 0) / d.length;
  let pos = 0,
    neg = 0;
  for (const x of d)
    if (x > 0) pos++;
    else if (x < 0) neg++;
  const n = pos + neg;
  return {
    test: 'sign',
    n,
    meanDiff,
    statistic: pos,
    pValue: n ? Math.min(1, 2 * binomialHalfCdf(Math.min(pos, neg), n)) : 1,
    method: 'exact',
  };
}

/** Paired significance test between two models' per-row (or per-seed) values of one metric. */
export function pairedTest(a: ArrayLike<number>, b: ArrayLike<number>, test: PairedTestName = 'wilcoxon'): PairedTestResult {
  if (test === 't') return pairedTTest(a, b);
  if (test === 'sign') return signTest(a, b);
  return wilcoxonTest(a, b);
}
