/** Session-conditioned item descriptors (SCID, MeLi §5, Eqs. 5–7): for each candidate, each regression head
 * group (next item, purchased item) and each attribute, the max, mean and last-step similarity between the
 * head's predictions along the session and the candidate's attribute. 2 groups × M attributes × 3 statistics
 * (18 for 3 attributes). Similarity: cosine for vectors, 1 − |Δ| for standardised scalars. */
import { CfmError } from '@cfm/core';
import type { AttributeSpec } from './model-types';

export const SCID_STATS = ['max', 'mean', 'last'] as const;

/** feature names in output order: scid/<group>/<attribute>/<stat> */
export function scidNames(specs: AttributeSpec[]): string[] {
  return ['next', 'purchased'].flatMap((g) => specs.flatMap((a) => SCID_STATS.map((s) => `scid/${g}/${a.name}/${s}`)));
}

function similarity(
  kind: AttributeSpec['kind'],
  p: Float32Array,
  pOff: number,
  pNorm: number,
  c: Float32Array,
  cOff: number,
  cNorm: number,
  dim: number,
): number {
  if (kind === 'scalar') return 1 - Math.abs(p[pOff] - c[cOff]);
  let dot = 0;
  for (let d = 0; d < dim; d++) dot += p[pOff + d] * c[cOff + d];
  return pNorm > 0 && cNorm > 0 ? dot / (pNorm * cNorm) : 0;
}

const norm = (x: Float32Array, off: number, dim: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += x[off + d] ** 2;
  return Math.sqrt(s);
};

/** Running SCID state of one session against a fixed candidate list: `push` one event's head predictions
 * (O(1) per candidate and attribute: running max, running sum, last), `features` reads the descriptors. */
export class ScidState {
  readonly k: number;
  private readonly width: number;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly last: Float64Array;
  private readonly candNorms: Float64Array[];
  private n = 0;
  /** candidates: per attribute, row-major [K, dim] */
  constructor(
    readonly specs: AttributeSpec[],
    readonly candidates: Float32Array[],
  ) {
    if (candidates.length !== specs.length)
      throw new CfmError('CFM_E_CONFIG', `${candidates.length} candidate tables for ${specs.length} attributes`, { field: 'candidates' });
    this.k = candidates[0].length / specs[0].dim;
    this.width = 2 * specs.length;
    this.max = new Float64Array(this.k * this.width).fill(-Infinity);
    this.sum = new Float64Array(this.k * this.width);
    this.last = new Float64Array(this.k * this.width);
    this.candNorms = specs.map((a, m) => Float64Array.from({ length: this.k }, (_, j) => norm(candidates[m], j * a.dim, a.dim)));
  }
  get steps(): number {
    return this.n;
  }
  /** one event: predictions[group][attribute] = that head's output vector [dim] at this step */
  push(predictions: Float32Array[][]): void {
    this.pushAt(predictions, 0);
  }
  /** like push, reading step `step` of per-step prediction matrices [steps, dim] */
  pushAt(predictions: Float32Array[][], step: number): void {
    const M = this.specs.length;
    for (let g = 0; g < 2; g++)
      for (let m = 0; m < M; m++) {
        const { kind, dim } = this.specs[m];
        const p = predictions[g][m];
        const pOff = step * dim;
        const pNorm = norm(p, pOff, dim);
        const c = this.candidates[m];
        for (let j = 0; j < this.k; j++) {
          const s = similarity(kind, p, pOff, pNorm, c, j * dim, this.candNorms[m][j], dim);
          const at = j * this.width + g * M + m;
          if (s > this.max[at]) this.max[at] = s;
          this.sum[at] += s;
          this.last[at] = s;
        }
      }
    this.n++;
  }
  /** [K, 6M] descriptors in `scidNames` order; NaN before the first event */
  features(out = new Float32Array(this.k * this.width * 3)): Float32Array {
    for (let j = 0; j < this.k; j++)
      for (let h = 0; h < this.width; h++) {
        const at = j * this.width + h;
        const o = j * this.width * 3 + h * 3;
        out[o] = this.n ? this.max[at] : NaN;
        out[o + 1] = this.n ? this.sum[at] / this.n : NaN;
        out[o + 2] = this.n ? this.last[at] : NaN;
      }
    return out;
  }
}

/** Batch definition (Eqs. 5–7 over all n steps at once), the reference the incremental state must equal. */
export function scidBatch(specs: AttributeSpec[], predictions: Float32Array[][], steps: number, candidates: Float32Array[]): Float32Array {
  const M = specs.length;
  const k = candidates[0].length / specs[0].dim;
  const out = new Float32Array(k * 2 * M * 3);
  for (let g = 0; g < 2; g++)
    for (let m = 0; m < M; m++) {
      const { kind, dim } = specs[m];
      for (let j = 0; j < k; j++) {
        const sims: number[] = [];
        const cNorm = norm(candidates[m], j * dim, dim);
        for (let i = 0; i < steps; i++)
          sims.push(
            similarity(kind, predictions[g][m], i * dim, norm(predictions[g][m], i * dim, dim), candidates[m], j * dim, cNorm, dim),
          );
        const o = j * 2 * M * 3 + (g * M + m) * 3;
        out[o] = Math.max(...sims);
        out[o + 1] = sims.reduce((a, b) => a + b, 0) / steps;
        out[o + 2] = sims[steps - 1];
      }
    }
  return out;
}
