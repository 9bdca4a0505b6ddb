/** U-MLP (§4.2.1): input-512-256-128-64-output, ReLU, on customer vectors. Classification heads are trained
 * with @cfm/tensor's fineTune (binary cross-entropy), frozen vectors or an encoder trained along. */
import { auc, accuracy, f1 } from '@cfm/eval';
import { fineTune, FineTuned, type Encoder, type FineTuneExamples } from '@cfm/tensor';
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
}

export const part = (t: ClassificationTask, idx: Int32Array): FineTuneExamples => ({
  sequences: t.history, rows: idx.map((i) => t.rows[i]), ends: idx.map((i) => t.ends[i]), labels: Float32Array.from(idx, (i) => t.labels[i]),
});

/** AUROC, F1 and accuracy at 0.5 of logits against 0/1 labels */
export function classificationMetrics(logits: Float32Array, labels: Float32Array): Record<string, number> {
  const p = logits.map((z) => 1 / (1 + Math.exp(-z)));
  return { auroc: auc(p, labels), f1: f1(p, labels, 0.5), accuracy: accuracy(Array.from(p, (x) => (x >= 0.5 ? 1 : 0)), labels) };
}

/** train a U-MLP head on `encoder` (a frozen encoder must cover the test examples too) (frozen or not) over the train part, score the test part */
export async function trainClassifier(encoder: Encoder, t: ClassificationTask, train: Int32Array, test: Int32Array, o: HeadOptions & { freezeEncoder: boolean }): Promise<{ metrics: Record<string, number>; model: FineTuned }> {
  const { model } = await fineTune(encoder, part(t, train), {
    freezeEncoder: o.freezeEncoder, hidden: UMLP_HIDDEN, epochs: o.epochs, lr: o.lr, seed: o.seed, batchSize: o.batchSize ?? 256, maxLen: o.maxLen,
    itemFeatures: o.itemFeatures, dropout: 0, weightDecay: 0,
  });
  const ex = part(t, test);
  // FineTuned keeps the train vectors as its cache; a cache-free copy encodes the test examples themselves
  const scorer = new FineTuned(encoder, model.head, model.headParams, model.o);
  return { metrics: classificationMetrics(scorer.predict(ex), ex.labels!), model };
}
