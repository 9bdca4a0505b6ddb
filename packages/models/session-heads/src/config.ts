/** Session-heads configuration. Defaults follow Zivic et al. 2023 §6.2 (single-layer GRU, 256 hidden,
 * Adam lr 1e-3, early stopping with patience 4, two-layer MLP heads as for CDC). */
import { z } from 'zod';
import { TrainerConfig } from '@cfm/tensor';

export const SessionHeadsConfig = z.strictObject({
  encoder: z
    .enum(['gru', 'ma'])
    .default('gru')
    .describe("sequential model: single-layer GRU, or 'ma' = moving average of the input embeddings (paper §5)"),
  hidden: z.int().positive().default(256).describe('GRU hidden size / MA projection size (paper 256)'),
  headLayers: z.int().min(1).max(3).default(2).describe('layers of each prediction head MLP (paper: 2 for CDC, 1 for MeLi-Sessions)'),
  maxLen: z.int().min(2).default(50).describe('most recent events of a session kept for training'),
  idDim: z
    .int()
    .positive()
    .default(32)
    .describe('dimension of the product-id vectors learned from session co-occurrence when the data has none'),
  cooccurrenceWindow: z.int().positive().default(3).describe('item pairs at most this many steps apart count as co-occurring (id vectors)'),
  validShare: z.number().min(0).max(0.5).default(0.1).describe('latest share of training sessions held out for early stopping'),
  ...TrainerConfig.shape,
  lr: z.number().positive().default(1e-3).describe('Adam learning rate (paper 0.001)'),
  weightDecay: z.number().min(0).default(0).describe('decoupled weight decay (paper: plain Adam)'),
  warmupSteps: z.int().min(0).default(0).describe('linear warm-up steps (paper: none)'),
  schedule: z.enum(['cosine', 'linear', 'constant']).default('constant').describe('lr after warm-up (paper: constant Adam)'),
  batchSize: z.int().positive().default(128).describe('sessions per step'),
  epochs: z.int().positive().default(30).describe('maximum epochs (early stopping usually ends sooner)'),
  patience: z.int().min(0).default(4).describe('early-stopping patience in validations (paper 4)'),
});
export type SessionHeadsConfig = z.infer<typeof SessionHeadsConfig>;
