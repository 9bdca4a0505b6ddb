/** U-MLP (§4.2.1): input-512-256-128-64-output, ReLU, on customer vectors. Classification heads are trained
 * with @cfm/tensor's fineTune (binary cross-entropy), frozen vectors or an encoder trained along. */
import { auc, accuracy, bestF1Threshold, f1 } from '@cfm/eval';
import { fineTune, type FineTuned, type Encoder, type FineTuneConfigInput, type FineTuneExamples } from '@cfm/tensor';
import type { ClassificationTask } from './tasks';

/** the paper's U-MLP hidden sizes */
export const UMLP_HIDDEN = [512, 256, 128, 64];

export interface HeadOptions {
  epochs: number;
  lr: number;
  seed: number;
  batchSize?: number;
  maxLen: number;
  itemFeatures?: Record<string, Int32Array>;
  /** cancels training (CfmError CFM_E_STATE) */
  signal?: AbortSignal;
  /** after every optimizer step (heartbeats) */
  onProgress?: () => void;
  /** held-out task rows that pick the best epoch by AUROC (FineTuneConfig's early stopping); none: every epoch is
   * trained on the train part and the last one is kept */
  valid?: Int32Array;
  /** FineTuneConfig settings over the head's (U-MLP, no dropout, no weight decay) */
  settings?: FineTuneConfigInput;
}

export const part = (t: ClassificationTask, idx: Int32Array): FineTuneExamples => ({
  sequences: t.history,
  rows: idx.map((i) => t.rows[i]),
  ends: idx.map((i) => t.ends[i]),
  labels: Float32Array.from(idx, (i) => t.labels[i]),
});

const sigmoid = (z: Float32Array) => z.map((x) => 1 / (1 + Math.exp(-x)));

/** AUROC, F1 at `threshold` and accuracy at 0.5 of probabilities against 0/1 labels */
export function probabilityMetrics(
  p: Float32Array,
  labels: Float32Array,
  threshold: number,
): { auroc: number; f1: number; accuracy: number } {
  return {
    auroc: auc(p, labels),
    f1: f1(p, labels, threshold),
    accuracy: accuracy(
      Array.from(p, (x) => (x >= 0.5 ? 1 : 0)),
      labels,
    ),
  };
}

/** the F1-best probability threshold of (p, labels) (choose it on training rows, never on test); 0.5 when none exists */
export function f1Threshold(p: Float32Array, labels: Float32Array): number {
  const { threshold } = bestF1Threshold(p, labels);
  return Number.isFinite(threshold) ? threshold : 0.5;
}

/** AUROC, accuracy at 0.5 and F1 of logits against 0/1 labels: `f1@0.5` at probability 0.5, and `f1` at
 * `threshold` (a probability chosen elsewhere, e.g. the F1-best one on the training rows; 0.5 when not given) */
export function classificationMetrics(logits: Float32Array, labels: Float32Array, threshold = 0.5): Record<string, number> {
  const p = sigmoid(logits);
  return { ...probabilityMetrics(p, labels, threshold), 'f1@0.5': f1(p, labels, 0.5), threshold };
}

/** train a U-MLP head on `encoder` (a frozen encoder must cover the test examples too) (frozen or not) over the train part,
 * score the test part; `parameters`: how many were trained, `seconds`: the training time */
export async function trainClassifier(
  encoder: Encoder,
  t: ClassificationTask,
  train: Int32Array,
  test: Int32Array,
  o: HeadOptions & { freezeEncoder: boolean },
): Promise<{ metrics: Record<string, number>; model: FineTuned; parameters: number; seconds: number }> {
  const t0 = performance.now();
  const { model, parameters } = await fineTune(encoder, part(t, train), {
    hidden: UMLP_HIDDEN,
    lr: o.lr,
    batchSize: o.batchSize ?? 256,
    dropout: 0,
    weightDecay: 0,
    ...(o.valid ? {} : { validFraction: 0 }),
    ...o.settings,
    freezeEncoder: o.freezeEncoder,
    epochs: o.epochs,
    seed: o.seed,
    valid: o.valid && part(t, o.valid),
    maxLen: o.maxLen,
    itemFeatures: o.itemFeatures,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const seconds = (performance.now() - t0) / 1000;
  const ex = part(t, test);
  const trainEx = part(t, train);
  // the F1 threshold is chosen on the training rows (never on test); on imbalanced tasks 0.5 often predicts one class
  const threshold = f1Threshold(sigmoid(model.predict(trainEx)), trainEx.labels!);
  return { metrics: classificationMetrics(model.predict(ex), ex.labels!, threshold), model, parameters, seconds };
}
