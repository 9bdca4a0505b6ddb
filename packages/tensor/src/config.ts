/** Config fields shared by every transformer family (style guide §5.4), and the trainer's. */
import { z } from 'zod';

export const TransformerConfig = z.strictObject({
  dModel: z.int().positive().default(64).describe('hidden size d'),
  nHeads: z.int().positive().default(2).describe('attention heads h'),
  nLayers: z.int().positive().default(2).describe('transformer layers L'),
  dropout: z.number().min(0).max(1).default(0.1).describe('dropout on embeddings, attention and feed-forward outputs'),
  maxLen: z.int().positive().default(50).describe('maximum sequence length N (most recent tokens kept)'),
});
export type TransformerConfig = z.infer<typeof TransformerConfig>;

export const TrainerConfig = z.strictObject({
  seed: z.int().min(0).default(0).describe('seed of initialisation, batch order, masking and dropout'),
  lr: z.number().positive().default(1e-3).describe('peak learning rate (AdamW)'),
  weightDecay: z.number().min(0).default(0.01).describe('decoupled weight decay'),
  clipNorm: z.number().min(0).default(5).describe('gradient clipping by global L2 norm (0 = off)'),
  warmupSteps: z.int().min(0).default(100).describe('linear warm-up steps'),
  schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine').describe('decay after warm-up'),
  batchSize: z.int().positive().default(256).describe('sequences per step'),
  epochs: z.int().positive().default(20).describe('training epochs'),
  patience: z.int().min(0).default(0).describe('early-stopping patience in validations (0 = off)'),
  validateEvery: z.int().positive().default(1).describe('validate every this many epochs'),
  validCustomers: z.int().min(0).default(2000).describe('validation customers used for early stopping (0 = all)'),
});
export type TrainerConfig = z.infer<typeof TrainerConfig>;

/** `dModel % nHeads === 0`, for superRefine on configs extending TransformerConfig */
export function divisibleHeads(c: { dModel: number; nHeads: number }, ctx: z.RefinementCtx): void {
  if (c.dModel % c.nHeads)
    ctx.addIssue({ code: 'custom', path: ['nHeads'], message: `dModel ${c.dModel} is not divisible by nHeads ${c.nHeads}` });
}
