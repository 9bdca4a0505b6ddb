import { CfmError } from '@cfm/core';

function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string): void {
  if (a.length !== b.length) throw new CfmError('CFM_E_CONFIG', `${what}: ${a.length} scores but ${b.length} labels`, { field: 'labels' });
}

/** ROC AUC (Mann-Whitney U with average ranks for tied scores). labels: > 0 positive.
 * NaN when one class is absent. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkSameLength(scores, labels, 'auc');
  const n = scores.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1; // ranks i+1 .. j+1
    for (let t = i; t <= j; t++)
      if (labels[idx[t]] > 0) {
        pos++;
        rankSumPos += avgRank;
      }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface GroupedAucResult {
  /** weighted mean of the per-group AUCs */
  gauc: number;
  /** groups with both classes (the others have no AUC and are left out) */
  groups: number;
  skipped: number;
}

/** Grouped AUC (per session or customer): the mean of per-group AUCs over groups holding both
 * classes, weighted by group size ('count', as in DIN's GAUC) or equally ('uniform').
 * groupIds need not be sorted. */
export function groupedAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groupIds: ArrayLike<number | string>,
  weight: 'count' | 'uniform' = 'count',
): GroupedAucResult {
  checkSameLength(scores, labels, 'groupedAuc');
  checkSameLength(scores, groupIds, 'groupedAuc groupIds');
  const members = new Map<number | string, number[]>();
  for (let i = 0; i < groupIds.length; i++) {
    const list = members.get(groupIds[i]);
    if (list) list.push(i);
    else members.set(groupIds[i], [i]);
  }
  let num = 0;
  let den = 0;
  let groups = 0;
  for (const list of members.values()) {
    const a = auc(
      list.map((i) => scores[i]),
      list.map((i) => labels[i]),
    );
    if (Number.isNaN(a)) continue;
    const w = weight === 'count' ? list.length : 1;
    num += w * a;
    den += w;
    groups++;
  }
  return { gauc: den ? num / den : Number.NaN, groups, skipped: members.size - groups };
}

/** DMT / DIN RelaImpr: (AUC(model) − 0.5) / (AUC(base) − 0.5) − 1, as a fraction (0.1678 = 16.78 %). */
export function relaImpr(aucModel: number, aucBase: number): number {
  return (aucModel - 0.5) / (aucBase - 0.5) - 1;
}

/** Share of rows where the prediction equals the truth. */
export function accuracy(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  checkSameLength(pred, truth, 'accuracy');
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return pred.length ? ok / pred.length : Number.NaN;
}

/** Binary F1 of scores thresholded at `threshold` (score >= threshold → positive); labels > 0 positive. */
export function f1(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): number {
  checkSameLength(scores, labels, 'f1');
  let tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] >= threshold;
    const y = labels[i] > 0;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
}

/** The score threshold that maximises binary F1 on (scores, labels), and that F1: each distinct score is tried as
 * "score >= t → positive" in one pass over the sorted scores. Choose it on training or validation rows, then apply it
 * to the test rows (`f1(testScores, testLabels, threshold)`). Returns threshold Infinity and f1 0 without positives. */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; f1: number } {
  checkSameLength(scores, labels, 'bestF1Threshold');
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0) pos++;
  let best = { threshold: Number.POSITIVE_INFINITY, f1: 0 };
  let tp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[idx[i]] > 0) tp++;
    if (i + 1 < idx.length && scores[idx[i + 1]] === scores[idx[i]]) continue; // ties go together
    const predicted = i + 1;
    const f = tp ? (2 * tp) / (predicted + pos) : 0;
    if (f > best.f1) best = { threshold: scores[idx[i]], f1: f };
  }
  return best;
}

/** Macro F1 over classes 0..classes-1 of class predictions (classes absent from both pred and truth are left out). */
export function macroF1(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): number {
  checkSameLength(pred, truth, 'macroF1');
  const tp = new Float64Array(classes),
    fp = new Float64Array(classes),
    fn = new Float64Array(classes);
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] === truth[i]) tp[pred[i]]++;
    else {
      fp[pred[i]]++;
      fn[truth[i]]++;
    }
  }
  let sum = 0,
    used = 0;
  for (let c = 0; c < classes; c++) {
    if (tp[c] + fp[c] + fn[c] === 0) continue;
    sum += (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]);
    used++;
  }
  return used ? sum / used : Number.NaN;
}

/** Class of the highest score per row of a row-major [rows, cols] matrix (first one on ties). */
export function argmaxRows(scores: Float32Array, cols: number): Int32Array {
  const rows = scores.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (scores[r * cols + c] > scores[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Mean binary cross-entropy of probabilities (clipped to [1e-7, 1 − 1e-7]). */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkSameLength(probs, labels, 'logLoss');
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probs[i]));
    s -= labels[i] > 0 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probs.length;
}
