/** The fit loop shared by the next-item families (BERT4Rec, MCM): the shared trainer over a sampler's batches,
 * validation = full-ranking NDCG@10 on (a prefix of) the valid customers, early stopping, resumable runs keyed by
 * vocabulary, config and seed. */
import type { CustomerModel, FitOptions, FitReport, PreparedDataset, ProgressReporter } from '@cfm/core';
import type * as tf from '@tensorflow/tfjs';
import { rankEval } from '@cfm/eval';
import type { Ctx, Params } from './params';
import { train } from './trainer';

/** the training settings both families' zod configs carry */
export interface NextItemTrainSettings {
  lr: number;
  weightDecay: number;
  clipNorm: number;
  warmupSteps: number;
  schedule: 'linear' | 'cosine' | 'constant';
  epochs: number;
  patience: number;
  validateEvery: number;
  maxLen: number;
  validCustomers: number;
}

export interface NextItemModel extends CustomerModel {
  readonly params: Params;
  readonly vocabHash: string;
  progress: ProgressReporter;
  metrics: Record<string, number>;
}

export interface BatchSampler<B> {
  readonly batchesPerEpoch: number;
  batch(epoch: number, i: number): B;
}

export async function fitNextItem<B extends { batchSize: number }>(
  model: NextItemModel,
  data: PreparedDataset,
  opts: FitOptions,
  sampler: BatchSampler<B>,
  loss: (b: B, ctx: Ctx) => tf.Scalar,
  c: NextItemTrainSettings,
  seed: number,
): Promise<FitReport> {
  const task = {
    params: model.params,
    batchesPerEpoch: sampler.batchesPerEpoch,
    batch: (e: number, i: number) => sampler.batch(e, i),
    size: (b: B) => b.batchSize,
    loss,
    validate: data.valid.targets.length
      ? () =>
          rankEval(model, data, 'valid', { protocol: 'full', maxLen: c.maxLen, limit: c.validCustomers || undefined }).metrics['ndcg@10']
      : undefined,
  };
  const report = await train(task, {
    ...opts,
    epochs: c.epochs,
    seed,
    optim: { lr: c.lr, weightDecay: c.weightDecay, clipNorm: c.clipNorm, warmupSteps: c.warmupSteps, schedule: c.schedule },
    patience: c.patience,
    validateEvery: c.validateEvery,
    runKey: `${model.vocabHash}/${JSON.stringify(c)}/${seed}`, // unchanged key: runs of earlier versions still resume
    progress: model.progress,
  });
  if (report.bestMetric !== undefined) model.metrics['valid_ndcg@10'] = report.bestMetric;
  return report;
}
