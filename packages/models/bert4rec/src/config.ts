/** BERT4Rec configuration. Defaults follow Sun et al. 2019 (§4.3 implementation details) for Beauty;
 * PRESETS holds the paper's per-dataset values. */
import { z } from 'zod';
import { TrainerConfig, TransformerConfig, divisibleHeads } from '@cfm/tensor';

export const Bert4RecConfig = TransformerConfig.extend({
  maxLen: z.int().positive().default(50).describe('max sequence length N: 50 for Beauty, 200 for ML-1m (paper §4.3)'),
  attnDropout: z.number().min(0).max(1).default(0.1).describe('dropout on attention probabilities'),
  maskProb: z.number().gt(0).lt(1).default(0.6).describe('Cloze mask proportion ρ: 0.6 Beauty, 0.2 ML-1m (paper Fig. 6 best)'),
  lastItemMaskProb: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('share of training sequences that mask only their last item (paper §3.6; ratio ours)'),
  windowStride: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe('sequences longer than maxLen are cut into windows every stride × maxLen items'),
  ...TrainerConfig.shape,
  lr: z.number().positive().default(1e-4).describe('Adam learning rate (paper 1e-4)'),
  weightDecay: z.number().min(0).default(0.01).describe('weight decay (paper l2 0.01; decoupled here)'),
  clipNorm: z.number().min(0).default(5).describe('gradient clipping by global norm (paper 5.0)'),
  schedule: z.enum(['cosine', 'linear', 'constant']).default('linear').describe('lr decay after warm-up (paper: linear)'),
  batchSize: z.int().positive().default(256).describe('sequences per step (paper 256)'),
}).superRefine(divisibleHeads);
export type Bert4RecConfig = z.infer<typeof Bert4RecConfig>;

/** paper settings per dataset (merged under user overrides) */
export const PRESETS: Record<string, Partial<Bert4RecConfig>> = {
  'movielens-1m': { maxLen: 200, maskProb: 0.2 },
  'movielens-100k': { maxLen: 200, maskProb: 0.2 },
  beauty: { maxLen: 50, maskProb: 0.6 },
};
