/** MCM configuration. Defaults follow Luo & Wang, "MCM: A Multi-task Pre-trained Customer Model for
 * Personalization", RecSys 2023 (§2–3): BERT encoder of 3 layers × 4 heads, max length 300, average-pooled
 * heterogeneous features, attentional readout, summed multi-task losses, random prefix augmentation. */
import { z } from 'zod';
import { TrainerConfig, TransformerConfig, divisibleHeads } from '@cfm/tensor';

/** per-token features pooled into one vector (Eq. 1) when the dataset has them; 'type' is the token type */
export const MCM_FEATURES = ['item', 'productLine', 'category1', 'category2', 'category3', 'category4', 'brand', 'type'];
/** predicted next-token features (one task each, losses summed) when the dataset has them */
export const MCM_TASKS = ['item', 'productLine', 'category1', 'category2', 'category3', 'category4', 'brand'];

const McmFields = TransformerConfig.extend({
  variant: z
    .enum(['MCM_Single', 'MCM_MTL', 'MCM_Final'])
    .default('MCM_Final')
    .describe('paper ablation config (Table 1); sets tasks / readout / objective unless given'),
  nLayers: z.int().positive().default(3).describe('transformer layers (paper §3.1: 3)'),
  nHeads: z.int().positive().default(4).describe('attention heads (paper §3.1: 4)'),
  maxLen: z.int().positive().default(300).describe('max sequence length incl. the [MASK] slot (paper §3.1: 300)'),
  attnDropout: z.number().min(0).max(1).default(0.1).describe('dropout on attention probabilities'),
  features: z.array(z.string()).default(MCM_FEATURES).describe('input features averaged per token (Eq. 1); missing ones are skipped'),
  tasks: z
    .array(z.string())
    .default(MCM_TASKS)
    .describe('next-token features to predict, one head each (§2.1.2); missing ones are skipped'),
  readout: z
    .enum(['attentional', 'last'])
    .default('attentional')
    .describe('attentional = Eq. 2–3 per label; last = hidden state at [MASK] · label embedding (BERT4Rec)'),
  objective: z
    .enum(['prefix', 'cloze', 'causal'])
    .default('prefix')
    .describe(
      'prefix = random prefix → next token (§2.2, no future); cloze = one masked token with the future visible; causal = every prefix of a window at once: causal attention, each position predicts the next token (one pass per window instead of one per prefix)',
    ),
  samplesPerSequence: z.int().positive().default(4).describe('prefix / cloze: training examples drawn from each customer per epoch'),
  windowStride: z
    .number()
    .positive()
    .max(1)
    .optional()
    .describe('causal: a window of maxLen + 1 tokens every windowStride × maxLen back from each customer’s last one (default 0.5)'),
  negatives: z
    .int()
    .min(0)
    .default(0)
    .describe('item softmax over the batch labels + this many uniform negatives in training (0 = full softmax, as the paper)'),
  samplingCorrection: z
    .boolean()
    .default(false)
    .describe(
      'with negatives > 0: subtract log P(item in the sampled candidates) from its logit (logQ), so the sampled softmax estimates the full one',
    ),
  outputBias: z.boolean().default(true).describe('learned per-label bias added to every task score (ours; 0 in Eq. 3)'),
  ...TrainerConfig.shape,
  lr: z.number().positive().default(1e-3).describe('peak AdamW learning rate'),
  batchSize: z.int().positive().default(128).describe('examples per step'),
}).superRefine(divisibleHeads);
export type McmConfig = z.infer<typeof McmFields>;

/** The config schema: a `variant` fills in its fields (VARIANTS) under the explicitly given ones. */
export const McmConfig = z.preprocess((raw) => {
  if (!raw || typeof raw !== 'object') return raw;
  const r = raw as Record<string, unknown>;
  const v = typeof r.variant === 'string' ? VARIANTS[r.variant] : undefined;
  return v ? { ...v, ...r } : r;
}, McmFields) as unknown as z.ZodType<McmConfig>;

/** The paper's ablation configs (Table 1): what each adds over the previous one. */
export const VARIANTS: Record<string, Partial<Omit<McmConfig, 'variant'>>> = {
  /** heterogeneous inputs, one task (next item), BERT4Rec readout and masked training */
  MCM_Single: { tasks: ['item'], readout: 'last', objective: 'cloze' },
  /** + task-aware attentional readout and multi-task heads */
  MCM_MTL: { readout: 'attentional', objective: 'cloze' },
  /** + random prefix augmentation */
  MCM_Final: { readout: 'attentional', objective: 'prefix' },
};

/** settings per dataset (merged under user overrides) */
export const PRESETS: Record<string, Partial<McmConfig>> = {
  beauty: { maxLen: 50 },
  taobao: { maxLen: 200 },
};
