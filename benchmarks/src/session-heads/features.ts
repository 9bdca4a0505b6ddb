/** Feature blocks of (query, candidate) rows: BL (candidate attribute vectors + expected CTR of its rank),
 * MA / GRU (session state after the prefix), SCID (MA / GRU heads vs the candidate's attributes). */
import { attributeMatrix, ScidState } from '@cfm/model-session-heads';
import type { ItemAttributes, SessionHeadsModel, SessionSet } from '@cfm/model-session-heads';
import { prefixOf, type Query } from './candidates';

export interface Block {
  cols: number;
  /** row-major [rows, cols], rows = Σ candidates over the queries */
  values: Float32Array;
}

export const rowCount = (qs: Query[]): number => qs.reduce((n, q) => n + q.candidates.length, 0);

/** click-through rate of each list position over the given (training) queries */
export function rankCtr(qs: Query[], maxLen: number): Float32Array {
  const hits = new Float64Array(maxLen),
    shown = new Float64Array(maxLen);
  for (const q of qs) q.candidates.forEach((_, r) => (shown[r]++, (hits[r] += q.labels[r])));
  return Float32Array.from(hits, (h, r) => (shown[r] ? h / shown[r] : 0));
}

export function baselineBlock(qs: Query[], attrs: ItemAttributes, ctr: Float32Array): Block {
  const m = attributeMatrix(attrs);
  const cols = m.dim + 1;
  const values = new Float32Array(rowCount(qs) * cols);
  let row = 0;
  for (const q of qs)
    q.candidates.forEach((c, r) => {
      values.set(m.values.subarray(c * m.dim, (c + 1) * m.dim), row * cols);
      values[row * cols + m.dim] = ctr[r] ?? 0;
      row++;
    });
  return { cols, values };
}

/** session state block and SCID block of one pre-trained model; SCID is accumulated one event at a time */
export function modelBlocks(model: SessionHeadsModel, s: SessionSet, qs: Query[], attrs: ItemAttributes): { state: Block; scid: Block } {
  const H = model.config.hidden;
  const M = attrs.attributes.length;
  const scidCols = 6 * M;
  const rows = rowCount(qs);
  const state = new Float32Array(rows * H);
  const scid = new Float32Array(rows * scidCols).fill(NaN);
  const withPrefix = qs.map((q, i) => ({ q, i })).filter((x) => x.q.prefixLen > 0);
  const preds = model.predictSteps(withPrefix.map((x) => prefixOf(s, x.q)));
  const starts = new Int32Array(qs.length + 1);
  qs.forEach((q, i) => (starts[i + 1] = starts[i] + q.candidates.length));
  withPrefix.forEach(({ q, i }, k) => {
    const p = preds[k];
    const last = p.hidden.subarray((p.steps - 1) * H, p.steps * H);
    for (let r = starts[i]; r < starts[i + 1]; r++) state.set(last, r * H);
    const cand = attrs.attributes.map((a) => {
      const out = new Float32Array(q.candidates.length * a.dim);
      q.candidates.forEach((c, j) => out.set(a.values.subarray(c * a.dim, (c + 1) * a.dim), j * a.dim));
      return out;
    });
    const st = new ScidState(attrs.attributes, cand);
    for (let t = 0; t < p.steps; t++) st.pushAt(p.heads, t);
    scid.set(st.features(), starts[i] * scidCols);
  });
  return { state: { cols: H, values: state }, scid: { cols: scidCols, values: scid } };
}

/** row-wise concatenation of blocks */
export function concatBlocks(blocks: Block[], rows: number): Block {
  const cols = blocks.reduce((n, b) => n + b.cols, 0);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let at = r * cols;
    for (const b of blocks) {
      values.set(b.values.subarray(r * b.cols, (r + 1) * b.cols), at);
      at += b.cols;
    }
  }
  return { cols, values };
}
