/** DMT configuration. Defaults follow Gu et al., "Deep Multifaceted Transformers for Multi-objective
 * Ranking in Large-Scale E-commerce Recommender Systems", CIKM 2020 (§4, §6), scaled to a 2-core box
 * where the paper gives no number. The baselines (DNN, DIN, DIEN, DMT_trans) are presets of the same network. */
import { z } from 'zod';
import { BehaviourSpec, DMT_BEHAVIOURS } from '@cfm/data';
import { TrainerConfig, TransformerConfig } from '@cfm/tensor';

export const TASKS = ['ctr', 'cvr'] as const;
export const BIAS_FEATURES = ['position', 'page', 'neighbour'] as const;
export type BiasFeature = (typeof BIAS_FEATURES)[number];

export const DmtConfig = TransformerConfig.extend({
  behaviours: z.array(BehaviourSpec).min(1).default(DMT_BEHAVIOURS).describe('click 50 / 7 d, cart 10 / 1 y, order 10 / 1 y (DMT §3.1)'),
  itemFeatures: z
    .array(z.string())
    .default(['category', 'brand', 'shop'])
    .describe('item = concat of item + these feature embeddings (DMT §4.1: product, category, brand, shop); missing ones are skipped'),
  featureDim: z.int().positive().default(16).describe('embedding size per item feature; dModel = featureDim × (1 + features)'),
  dModel: z
    .int()
    .positive()
    .default(64)
    .describe('unused: the model width is featureDim × (1 + item features found); it must divide by nHeads'),
  nHeads: z.int().positive().default(2).describe('attention heads in encoder and decoder'),
  nLayers: z.int().positive().default(1).describe('self-attention blocks in each behaviour encoder'),
  maxLen: z.int().positive().default(50).describe('longest behaviour sequence (positions table size)'),
  encoder: z
    .enum(['transformer', 'attention', 'gru', 'pooling'])
    .default('transformer')
    .describe(
      'transformer = DMT (self-attention encoder + target decoder block); attention = DIN (activation unit on raw embeddings); gru = DIEN (GRU + AUGRU); pooling = DNN (mean of embeddings)',
    ),
  activationSizes: z
    .array(z.int().positive())
    .default([80, 40])
    .describe("hidden sizes (sigmoid) of DIN's activation unit MLP (encoder: attention; DIN's public code: 80, 40)"),
  positions: z
    .enum(['none', 'sinusoidal', 'learned'])
    .default('learned')
    .describe('positional encoding of behaviour sequences (DMT Table 3: learned best)'),
  multiTask: z
    .enum(['single', 'shared-bottom', 'mmoe'])
    .default('mmoe')
    .describe('single = one separate network per task; shared-bottom; MMoE (DMT §4.3)'),
  experts: z.int().positive().default(4).describe('MMoE experts N (DMT Fig. 3 shows 4)'),
  expertSizes: z.array(z.int().positive()).min(1).default([128, 64]).describe('expert MLP / shared-bottom hidden sizes'),
  utilitySizes: z.array(z.int().positive()).default([32]).describe('hidden sizes of each task utility network NN_U'),
  bias: z
    .array(z.enum(BIAS_FEATURES))
    .default(['neighbour'])
    .describe('bias deep network inputs (DMT §4.4; [] = no bias network; online DMT used neighbouring)'),
  biasSizes: z.array(z.int().positive()).default([32]).describe('hidden sizes of the bias network NN_B'),
  maxPosition: z.int().positive().default(400).describe('largest position index embedded (DMT: 400)'),
  maxPage: z.int().positive().default(100).describe('largest page embedded (DMT: 100)'),
  neighbours: z.int().min(0).default(6).describe('neighbouring items whose categories feed the bias network (DMT K = 6)'),
  dense: z.boolean().default(true).describe('feed z-scored dense features to the multi-task layer (DMT Table 1 lower half)'),
  tasks: z.array(z.enum(TASKS)).min(1).default(['ctr', 'cvr']).describe('ctr = click, cvr = order (DMT click / order prediction)'),
  lossWeights: z.array(z.number().min(0)).default([1, 1]).describe('λ_k of L = Σ λ_k BCE_k (DMT Eq. 5), one per task'),
  servingWeights: z.array(z.number().min(0)).default([1, 1]).describe('w_k of the serving score Σ w_k σ(u_k) / Σ w_k (DMT Eq. 6)'),
  initStd: z.number().positive().default(0.1).describe('std of the truncated-normal initialiser (0.02 BERT-style starves the MLP stack)'),
  ...TrainerConfig.shape,
  dropout: z.number().min(0).max(1).default(0.1).describe('dropout in encoders and MLPs'),
  lr: z.number().positive().default(2e-3).describe('peak AdamW learning rate (not in the paper)'),
  batchSize: z.int().positive().default(16).describe('requests per step (each carries its whole impression list)'),
  epochs: z.int().positive().default(8).describe('training epochs'),
  warmupSteps: z.int().min(0).default(10).describe('linear warm-up steps'),
  validCustomers: z.int().min(0).default(0).describe('unused (validation uses the held-out requests)'),
}).superRefine((c, ctx) => {
  if (c.lossWeights.length < c.tasks.length)
    ctx.addIssue({ code: 'custom', path: ['lossWeights'], message: `need one weight per task (${c.tasks.length})` });
  if (c.servingWeights.length < c.tasks.length)
    ctx.addIssue({ code: 'custom', path: ['servingWeights'], message: `need one weight per task (${c.tasks.length})` });
});
export type DmtConfig = z.infer<typeof DmtConfig>;

/** The paper's models as config presets (DMT §5.2 baselines and Table 1). */
export const VARIANTS: Record<string, Partial<DmtConfig>> = {
  dnn: { encoder: 'pooling', positions: 'none', multiTask: 'single', bias: [] },
  din: { encoder: 'attention', positions: 'none', multiTask: 'single', bias: [] },
  dien: { encoder: 'gru', positions: 'none', multiTask: 'single', bias: [] },
  dmt_trans: { encoder: 'transformer', multiTask: 'single', bias: [] },
  dmt: { encoder: 'transformer', multiTask: 'mmoe', bias: ['neighbour'] },
};
