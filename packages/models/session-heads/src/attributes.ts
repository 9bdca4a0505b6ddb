/** Item attribute encoders φ_a (MeLi §4): fixed item-centred vectors the session model reads and its
 * regression heads predict. Vector attributes are compared by cosine, scalar ones (log price) by distance. */
import { CfmError, createRng } from '@cfm/core';
import { sessionCount, type SessionSet } from './sessions';

export interface Attribute {
  name: string;
  kind: 'vector' | 'scalar';
  dim: number;
  /** row-major [items, dim] */
  values: Float32Array;
}
export interface ItemAttributes {
  items: number;
  attributes: Attribute[];
}

/** Concatenation of every attribute, [items, Σ dim]; column ranges in `ranges`. */
export function attributeMatrix(a: ItemAttributes): { values: Float32Array; dim: number; ranges: Array<[number, number]> } {
  const dim = a.attributes.reduce((s, x) => s + x.dim, 0);
  const values = new Float32Array(a.items * dim);
  const ranges: Array<[number, number]> = [];
  let col = 0;
  for (const at of a.attributes) {
    if (at.values.length !== a.items * at.dim)
      throw new CfmError('CFM_E_CONFIG', `attribute ${at.name} has ${at.values.length} values, expected ${a.items}×${at.dim}`, {
        field: at.name,
      });
    for (let i = 0; i < a.items; i++) for (let d = 0; d < at.dim; d++) values[i * dim + col + d] = at.values[i * at.dim + d];
    ranges.push([col, col + at.dim]);
    col += at.dim;
  }
  return { values, dim, ranges };
}

function normalizeRows(m: Float32Array, dim: number): void {
  for (let i = 0; i < m.length / dim; i++) {
    let n = 0;
    for (let d = 0; d < dim; d++) n += m[i * dim + d] ** 2;
    n = Math.sqrt(n);
    if (n > 0) for (let d = 0; d < dim; d++) m[i * dim + d] /= n;
  }
}

/** Gram–Schmidt on the columns of y [n, d] in place. */
function orthonormalize(y: Float64Array, n: number, d: number): void {
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += y[i * d + j] * y[i * d + k];
      for (let i = 0; i < n; i++) y[i * d + j] -= dot * y[i * d + k];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += y[i * d + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) y[i * d + j] /= norm;
  }
}

/** Product-id vectors from session co-occurrence (a Meta-Prod2Vec stand-in trained on the pre-training
 * sessions only): log(1 + count) of item pairs at most `window` steps apart, projected on its top `dim`
 * singular subspace by randomized subspace iteration, rows L2-normalised. Items without co-occurrences get
 * a seeded random unit vector (an identity: similar only to themselves). */
export function cooccurrenceVectors(
  s: SessionSet,
  items: number,
  o: { dim?: number; window?: number; iterations?: number; seed?: number } = {},
): Float32Array {
  const { dim = 32, window = 3, iterations = 3, seed = 0 } = o;
  const counts = new Map<number, number>();
  for (let k = 0; k < sessionCount(s); k++)
    for (let i = s.offsets[k]; i < s.offsets[k + 1]; i++)
      for (let j = i + 1; j < Math.min(s.offsets[k + 1], i + 1 + window); j++) {
        const a = s.items[i],
          b = s.items[j];
        if (a === b) continue;
        counts.set(a * items + b, (counts.get(a * items + b) ?? 0) + 1);
        counts.set(b * items + a, (counts.get(b * items + a) ?? 0) + 1);
      }
  // CSR of the symmetric matrix A
  const keys = [...counts.keys()].sort((x, y) => x - y);
  const rowPtr = new Int32Array(items + 1);
  const col = new Int32Array(keys.length);
  const val = new Float64Array(keys.length);
  keys.forEach((key, e) => {
    const r = Math.floor(key / items);
    rowPtr[r + 1]++;
    col[e] = key - r * items;
    val[e] = Math.log1p(counts.get(key)!);
  });
  for (let r = 0; r < items; r++) rowPtr[r + 1] += rowPtr[r];
  const times = (q: Float64Array): Float64Array => {
    const y = new Float64Array(items * dim); // A · q, [items, dim]
    for (let r = 0; r < items; r++)
      for (let e = rowPtr[r]; e < rowPtr[r + 1]; e++) {
        const v = val[e],
          c = col[e];
        for (let d = 0; d < dim; d++) y[r * dim + d] += v * q[c * dim + d];
      }
    return y;
  };
  const rng = createRng(seed).fork('cooccurrence');
  let q: Float64Array = Float64Array.from({ length: items * dim }, () => rng.normal());
  for (let it = 0; it < iterations; it++) {
    q = times(q);
    orthonormalize(q, items, dim);
  }
  const out = Float32Array.from(times(q));
  const fallback = createRng(seed).fork('identity');
  for (let r = 0; r < items; r++) if (rowPtr[r + 1] === rowPtr[r]) for (let d = 0; d < dim; d++) out[r * dim + d] = fallback.normal();
  normalizeRows(out, dim);
  return out;
}

/** Category vector of each item: the mean of the member items' vectors (paper §7.1.1), L2-normalised.
 * Items without a category (id ≤ 0) keep their own vector. */
export function categoryMeans(vectors: Float32Array, dim: number, category: ArrayLike<number>): Float32Array {
  const sums = new Map<number, Float64Array>();
  for (let i = 0; i < category.length; i++) {
    if (category[i] <= 0) continue;
    const acc = sums.get(category[i]) ?? new Float64Array(dim);
    for (let d = 0; d < dim; d++) acc[d] += vectors[i * dim + d];
    sums.set(category[i], acc);
  }
  const out = new Float32Array(category.length * dim);
  for (let i = 0; i < category.length; i++) {
    const acc = category[i] > 0 ? sums.get(category[i])! : undefined;
    for (let d = 0; d < dim; d++) out[i * dim + d] = acc ? acc[d] : vectors[i * dim + d];
  }
  normalizeRows(out, dim);
  return out;
}

/** Standardised scalar (e.g. log price): (x − mean) / std over the known values; unknown (NaN) → 0. */
export function standardize(x: ArrayLike<number>): Float32Array {
  let n = 0,
    sum = 0,
    sq = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) continue;
    n++;
    sum += x[i];
    sq += x[i] ** 2;
  }
  const mean = n ? sum / n : 0;
  const std = n ? Math.sqrt(Math.max(sq / n - mean * mean, 1e-12)) : 1;
  return Float32Array.from(x, (v) => (Number.isFinite(v) ? (v - mean) / std : 0));
}
