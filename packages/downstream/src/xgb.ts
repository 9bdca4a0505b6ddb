/** XGBoost (@cfm/gbdt, the real libxgboost) on frozen customer vectors: the tree baseline beside the U-MLP on
 * the same vectors and split. Early stopping on the valid part's AUC when it holds both classes. */
import { existsSync } from 'node:fs';
import { isCfmError } from '@cfm/core';
import { libraryCandidates, trainGbdt, xgboost } from '@cfm/gbdt';
import { f1Threshold, probabilityMetrics } from './umlp';
import type { ClassificationTask, Split } from './tasks';

/** null when libxgboost can be used, else why not (not provisioned, or it failed to load) */
export function xgboostMissing(): string | null {
  const candidates = libraryCandidates();
  if (!candidates.some((p) => existsSync(p)))
    return `libxgboost not found (looked in ${candidates.join(', ') || 'no place'}); run \`bash infra/xgboost/provision.sh\``;
  try {
    xgboost();
    return null;
  } catch (e) {
    if (isCfmError(e) && e.code === 'CFM_E_BACKEND') return e.message;
    throw e;
  }
}

const rowsOf = (vectors: Float32Array, dim: number, idx: Int32Array) => {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => out.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
};
const hasBothClasses = (labels: Float32Array) => labels.some((y) => y > 0) && labels.some((y) => !(y > 0));

/** train XGBoost on the train part's vectors (early stopping on valid), score the test part: AUROC, F1 at the
 * F1-best threshold of the train part, accuracy at 0.5; `onRound` after every boosting round (heartbeats) */
export async function xgboostClassifier(
  vectors: Float32Array,
  dim: number,
  t: ClassificationTask,
  s: Split,
  o: { seed: number; signal?: AbortSignal; onRound?: () => void },
): Promise<Record<string, number>> {
  const labels = (idx: Int32Array) => Float32Array.from(idx, (i) => t.labels[i]);
  const [trainY, validY, testY] = [labels(s.train), labels(s.valid), labels(s.test)];
  const early = hasBothClasses(validY);
  const model = await trainGbdt({
    features: rowsOf(vectors, dim, s.train),
    rows: s.train.length,
    cols: dim,
    labels: trainY,
    params: {
      objective: 'binary:logistic',
      rounds: early ? 300 : 100,
      maxDepth: 4,
      eta: 0.1,
      subsample: 0.8,
      colsampleBytree: 0.8,
      evalMetric: 'auc',
      seed: o.seed,
    },
    valid: early ? { features: rowsOf(vectors, dim, s.valid), rows: s.valid.length, cols: dim, labels: validY } : undefined,
    earlyStoppingRounds: early ? 20 : undefined,
    signal: o.signal,
    progress: { start() {}, finish() {}, log() {}, update: () => o.onRound?.() },
  });
  try {
    const threshold = f1Threshold(model.predict(rowsOf(vectors, dim, s.train), s.train.length), trainY);
    return probabilityMetrics(model.predict(rowsOf(vectors, dim, s.test), s.test.length), testY, threshold);
  } finally {
    model.dispose();
  }
}
