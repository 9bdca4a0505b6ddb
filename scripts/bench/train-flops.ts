/** Matmul FLOPs of one BERT4Rec Cloze training step, counted analytically from the batch shape.
 * Forward, per layer: Q, K, V and output projections 4 × 2·T·D², attention scores and context 2 × 2·B·L²·D
 * (summed over heads), FFN 2 × 2·T·D·F; head: projection 2·N·D² and tied logits 2·N·D·V
 * (T = B·L tokens incl. padding, N masked positions). Backward runs two matmuls of the same size per forward
 * matmul (gradient of each operand), so a step is 3 × forward. Element-wise work, gathers, the scatter-add
 * into the embedding table and softmax are not counted (they are < 2 % of the total at these shapes). */
export interface StepShape {
  batch: number;
  len: number;
  masked: number;
}
export interface ModelShape {
  dModel: number;
  nLayers: number;
  dFf: number;
  vocab: number;
}

export function forwardMatmulFlops(s: StepShape, m: ModelShape): number {
  const T = s.batch * s.len,
    D = m.dModel;
  const perLayer = 4 * 2 * T * D * D + 2 * 2 * s.batch * s.len * s.len * D + 2 * 2 * T * D * m.dFf;
  const head = 2 * s.masked * D * D + 2 * s.masked * D * m.vocab;
  return m.nLayers * perLayer + head;
}

export function stepFlops(s: StepShape, m: ModelShape): number {
  return 3 * forwardMatmulFlops(s, m);
}
