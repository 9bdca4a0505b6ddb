/** SASRec configuration. Defaults follow Kang & McAuley 2018 (§IV-B implementation details) for the sparse Amazon
 * sets (Beauty); PRESETS holds the paper's ML-1m values. The loss is the full softmax cross-entropy over all items
 * (Klenitskiy & Vasilev 2023; Petrov & Macdonald 2023), not the paper's BCE with one sampled negative. */
import { z } from 'zod';
import { TrainerConfig, TransformerConfig, divisibleHeads } from '@cfm/tensor';

export const SasRecConfig = TransformerConfig.extend({
  dModel: z.int().positive().default(50).describe('hidden size d (paper 50)'),
  nHeads: z.int().positive().default(1).describe('attention heads (paper: one)'),
  nLayers: z.int().positive().default(2).describe('self-attention blocks b (paper 2)'),
  dropout: z.number().min(0).max(1).default(0.5).describe('dropout on embeddings and block outputs: 0.5 Beauty, 0.2 ML-1m (paper)'),
  attnDropout: z.number().min(0).max(1).default(0.5).describe('dropout on attention probabilities (the paper uses its one rate here too)'),
  maxLen: z.int().positive().default(50).describe('max sequence length n: 50 for Beauty, 200 for ML-1m (paper)'),
  windowStride: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe(
      'histories longer than maxLen + 1 are cut into windows every stride × maxLen items (1: each transition once per epoch; ours, the paper keeps only the most recent n)',
    ),
  ...TrainerConfig.shape,
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (paper 0.001)'),
  weightDecay: z.number().min(0).default(0).describe('decoupled weight decay (paper: none)'),
  clipNorm: z.number().min(0).default(5).describe('gradient clipping by global norm (ours; the paper has none)'),
  schedule: z.enum(['cosine', 'linear', 'constant']).default('constant').describe('lr after warm-up (paper: constant)'),
  batchSize: z.int().positive().default(128).describe('sequences per step (paper 128)'),
}).superRefine(divisibleHeads);
export type SasRecConfig = z.infer<typeof SasRecConfig>;

/** paper settings per dataset (merged under user overrides); the sparse Amazon sets use the defaults */
export const PRESETS: Record<string, Partial<SasRecConfig>> = {
  'movielens-1m': { maxLen: 200, dropout: 0.2, attnDropout: 0.2 },
  'movielens-100k': { maxLen: 200, dropout: 0.2, attnDropout: 0.2 },
  beauty: { maxLen: 50, dropout: 0.5, attnDropout: 0.5 },
};
