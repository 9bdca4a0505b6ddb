/** The GBDT baseline of DMT Table 1: XGBoost on the dense features alone, one binary model per task. */
import type { ProgressReporter } from '@cfm/core';
import { trainGbdt, type GbdtParams } from '@cfm/gbdt';
import { labelsOf } from '@cfm/model-dmt';
import type { ImpressionSet } from '@cfm/model-dmt';

export async function gbdtBaseline(
  train: ImpressionSet,
  valid: ImpressionSet,
  tests: ImpressionSet[],
  tasks: string[],
  o: { seed?: number; progress?: ProgressReporter; params?: Partial<GbdtParams> } = {},
): Promise<Array<Record<string, Float32Array>>> {
  const F = train.denseNames.length;
  const out: Array<Record<string, Float32Array>> = tests.map(() => ({}));
  for (const task of tasks) {
    const model = await trainGbdt({
      features: train.dense,
      rows: train.item.length,
      cols: F,
      labels: labelsOf(train, task),
      params: { objective: 'binary:logistic', rounds: 300, maxDepth: 6, eta: 0.1, evalMetric: 'auc', seed: o.seed ?? 0, ...o.params },
      valid: { features: valid.dense, rows: valid.item.length, cols: F, labels: labelsOf(valid, task) },
      earlyStoppingRounds: 20,
      progress: o.progress,
    });
    try {
      tests.forEach((t, i) => (out[i][task] = model.predict(t.dense, t.item.length)));
    } finally {
      model.dispose();
    }
  }
  return out;
}
