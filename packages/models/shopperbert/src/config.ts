/** ShopperBERT configuration. Defaults follow Shin et al., "One4all User Representation for Recommender
 * Systems in E-commerce" (2021), §3–4.1: H=550, L=20, A=10, max length 350, masked purchase prediction over
 * 4 category levels + 5 date parts, Adam lr 1e-4, batch 128, L2 1e-4, 30k warm-up steps, cosine decay. */
import { z } from 'zod';
import { TrainerConfig, TransformerConfig, divisibleHeads } from '@cfm/tensor';

export const CATEGORY_LEVELS = ['category1', 'category2', 'category3', 'category4'];
export const DATE_PARTS = ['year', 'month', 'day', 'weekday', 'hour'] as const;
export type DatePart = (typeof DATE_PARTS)[number];

export const ShopperBertConfig = TransformerConfig.extend({
  variant: z
    .enum(['MP', 'CLS'])
    .default('MP')
    .describe('MP: mean of final hidden states is the user vector; CLS: [CLS] predicts masked info and is the user vector (§3)'),
  augment: z.boolean().default(false).describe('shuffle / crop augmentation, Algorithm 1 (the "+A" variants)'),
  augmentFraction: z.number().min(0).max(1).default(0.3).describe('share of a batch augmented (§3: 30 %)'),
  cropProbability: z.number().min(0).max(1).default(0.5).describe('crop : shuffle among augmented rows (§3: 1 : 1)'),
  dModel: z.int().positive().default(550).describe('hidden size H (§4.1.2: 550)'),
  nHeads: z.int().positive().default(10).describe('attention heads A (§4.1.2: 10)'),
  nLayers: z.int().positive().default(20).describe('transformer blocks L (§4.1.2: 20)'),
  sharedLayers: z
    .boolean()
    .default(false)
    .describe('one block applied nLayers times (ALBERT sharing; the paper uses it for P-Trans §4.2.1)'),
  maxLen: z.int().positive().default(350).describe('max tokens per sequence incl. [CLS] (§4.1.2: 350)'),
  attnDropout: z.number().min(0).max(1).default(0.1).describe('dropout on attention probabilities'),
  maskRate: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.15)
    .describe('share of tokens chosen for MPP; of those 80 % [MASK], 10 % random, 10 % kept (§4.1.2)'),
  categories: z
    .array(z.string())
    .default(CATEGORY_LEVELS)
    .describe('category levels embedded and predicted (4 levels in the paper); levels missing in the data are skipped'),
  dateParts: z
    .array(z.enum(DATE_PARTS))
    .default([...DATE_PARTS])
    .describe('date parts embedded and predicted (year, month, day of month, day of week, hour)'),
  yearMin: z.int().default(1990).describe('first year of the year vocabulary (years outside clamp to the ends)'),
  yearCount: z.int().positive().default(50).describe('years in the year vocabulary'),
  textDim: z
    .int()
    .min(0)
    .default(256)
    .describe(
      'input text vector size (hashed bag of words of titles when the data has no vectors; the paper uses 768-d Sentence-BERT); 0 = no text',
    ),
  ...TrainerConfig.shape,
  lr: z.number().positive().default(1e-4).describe('Adam learning rate (§4.1.2: 1e-4)'),
  weightDecay: z.number().min(0).default(1e-4).describe('weight decay (§4.1.2: L2 1e-4; decoupled here)'),
  warmupSteps: z.int().min(0).default(30_000).describe('linear warm-up steps (§4.1.2: 30,000)'),
  schedule: z.enum(['cosine', 'linear', 'constant']).default('cosine').describe('decay after warm-up (§4.1.2: cosine)'),
  batchSize: z.int().positive().default(128).describe('sequences per step (§4.1.2: 128)'),
}).superRefine(divisibleHeads);
export type ShopperBertConfig = z.infer<typeof ShopperBertConfig>;

/** A CPU-sized setting for the 2-core benchmark machine (same objective, smaller encoder). */
export const SMALL: Partial<ShopperBertConfig> = {
  dModel: 64,
  nHeads: 4,
  nLayers: 2,
  maxLen: 64,
  textDim: 128,
  lr: 1e-3,
  warmupSteps: 50,
  batchSize: 64,
  dropout: 0.1,
  attnDropout: 0.1,
};

/** settings per dataset (merged under user overrides) */
export const PRESETS: Record<string, Partial<ShopperBertConfig>> = {
  // this copy of ML-1M has order-only timestamps (one minute apart from 2000-01-01): no date sub-tasks
  'movielens-1m': { dateParts: [] },
};
