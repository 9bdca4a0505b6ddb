import type { Rng } from '@cfm/core';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));

/** Dot product of row a of A with row b of B (both row-major, width d). */
export function dotRows(A: Float32Array, a: number, B: Float32Array, b: number, d: number): number {
  let s = 0;
  const oa = a * d;
  const ob = b * d;
  for (let k = 0; k < d; k++) s += A[oa + k] * B[ob + k];
  return s;
}

/** Scale row i of M (width d) to unit length. */
export function normalizeRow(M: Float32Array, i: number, d: number): void {
  let s = 0;
  for (let k = 0; k < d; k++) s += M[i * d + k] ** 2;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let k = 0; k < d; k++) M[i * d + k] *= inv;
}

/** Geometric count ≥ 1 with the given mean. */
export function geometric(rng: Rng, mean: number): number {
  if (mean <= 1) return 1;
  const p = 1 / mean;
  return 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(1 - p));
}

/** Poisson count (Knuth for small means, rounded normal above 30). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > l) {
    k++;
    p *= rng.next();
  }
  return k;
}

export const exponential = (rng: Rng, mean: number): number => -Math.log(1 - rng.next()) * mean;

/** Rank in [0, n) with P(rank r) decaying like a power law: rank = floor(n · u^(1 + skew)). */
export const skewedRank = (rng: Rng, n: number, skew: number): number => Math.floor(n * rng.next() ** (1 + skew));

/** Index into a cumulative weight table (last entry = total) by binary search. */
export function sampleCdf(cdf: Float64Array, u: number): number {
  const x = u * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function cumulative(weights: ArrayLike<number>): Float64Array {
  const cdf = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) cdf[i] = s += weights[i];
  return cdf;
}
