/** The compute-cost table (Table 3 analogue): inference time per batch of 128 with gradients off, parameters
 * (all, auxiliary embeddings and prediction layers included) and the input data size, for U-MLP on stored
 * vectors, P-Trans on raw logs, and the full pre-trained model fine-tuned. */
import * as tf from '@tensorflow/tfjs';
import { Ctx, type FineTuned } from '@cfm/tensor';

export interface CostRow {
  model: string;
  inputs: string;
  msPerBatch: number;
  speedup: number;
  parameters: number;
  dataBytes: number;
}

/** mean ms of `steps` calls of fn (after one warm-up call) */
export function timeIt(fn: () => void, steps: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return (performance.now() - t0) / steps;
}

/** median ms of `runs` calls of fn (after one warm-up call) */
export function medianMs(fn: () => void, runs = 5): number {
  fn();
  const ms = Array.from({ length: runs }, () => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  }).sort((a, b) => a - b);
  return runs % 2 ? ms[(runs - 1) / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
}

/** one scoring call of a fine-tuned head over examples idx (encoder at inference, or the stored vectors) */
export function scoreOnce(m: FineTuned, ex: Parameters<FineTuned['logits']>[0], idx: number[]): void {
  tf.tidy(() => m.logits(ex, idx, Ctx.inference()).dataSync());
}

/** rows with speedup relative to the slowest (the fine-tuned full model) */
export function withSpeedup(rows: Omit<CostRow, 'speedup'>[]): CostRow[] {
  const slowest = Math.max(...rows.map((r) => r.msPerBatch));
  return rows.map((r) => ({ ...r, speedup: slowest / r.msPerBatch }));
}

export function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}
