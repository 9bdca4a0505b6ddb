/** DMT offline metrics (§5.3) per task: AUC, and Precision@k / MRR@k grouped per request
 * (requests without a positive are left out of the grouped metrics); RelaImpr against a base. */
import { auc, evaluateGroups, relaImpr } from '@cfm/eval';
import type { ImpressionSet } from './impression-types';

export interface TaskMetrics {
  auc: number;
  precision: number;
  mrr: number;
  /** requests with at least one positive */
  groups: number;
  positives: number;
}

export function labelsOf(set: ImpressionSet, task: string): Uint8Array {
  return task === 'cvr' ? set.ordered : set.clicked;
}

export function taskMetrics(set: ImpressionSet, task: string, scores: Float32Array, k = 4): TaskMetrics {
  const labels = labelsOf(set, task);
  const g = evaluateGroups({ scores, labels, offsets: set.offsets, k: [k] });
  let positives = 0;
  for (const l of labels) positives += l;
  return { auc: auc(scores, labels), precision: g.metrics[`precision@${k}`], mrr: g.metrics[`mrr@${k}`], groups: g.groups, positives };
}

/** RelaImpr in percent, as the paper prints it */
export function relaImprPct(aucModel: number, aucBase: number): number {
  return 100 * relaImpr(aucModel, aucBase);
}
