/** Shapes shared by the model, the SCID features and the downstream experiments. */
export interface AttributeSpec {
  name: string;
  kind: 'vector' | 'scalar';
  dim: number;
}

/** Head predictions for every step of one session: [group][attribute] → row-major [steps, dim]. */
export interface StepPredictions {
  steps: number;
  /** group 0 = next-item heads, group 1 = purchased-item heads */
  heads: Float32Array[][];
  /** encoder state h_i, [steps, hidden] */
  hidden: Float32Array;
}

export const HEAD_GROUPS = ['next', 'purchased'] as const;
