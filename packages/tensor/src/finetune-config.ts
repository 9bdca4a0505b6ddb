/** The fine-tuning settings (`fineTune` of ./finetune): the one owner of their defaults and checks. */
import { z } from 'zod';

export const FineTuneConfig = z
  .strictObject({
    freezeEncoder: z.boolean().default(false).describe('train the new head alone on the frozen encoder (vectors computed once)'),
    hidden: z.array(z.int().positive()).default([64]).describe('hidden layer sizes of the new head (MLP, ReLU)'),
    epochs: z.int().positive().default(10).describe('training epochs, head warm-up included'),
    lr: z.number().positive().default(1e-3).describe('peak AdamW learning rate of the new head (cosine decay over all epochs)'),
    encoderLrScale: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe("the encoder's learning rate as a fraction of lr: pre-trained weights move less than the new head (1 = one rate)"),
    headWarmupEpochs: z
      .int()
      .min(0)
      .default(1)
      .describe("first epochs in which only the new head trains, on the frozen encoder's vectors; the encoder trains along after them"),
    validFraction: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe(
        'share of the training customers held out to pick the best epoch by AUROC when the caller gives no validation examples (0 = none)',
      ),
    keepBest: z
      .boolean()
      .default(true)
      .describe("validate after every epoch and keep the best epoch's weights (false: no validation, the last epoch's weights)"),
    patience: z.int().min(0).default(2).describe('stop after this many epochs without a better validation AUROC (0 = run every epoch)'),
    batchSize: z.int().positive().default(128).describe('examples per step'),
    sideCross: z
      .boolean()
      .default(true)
      .describe(
        "add vᵀ W s (customer vector v, the example's side features s, W learned from 0) to the head's logit: an MLP on [v, s] learns such products poorly",
      ),
    dropout: z.number().min(0).max(1).default(0.1).describe("dropout on the head's hidden layers"),
    weightDecay: z.number().min(0).default(0.01).describe('decoupled weight decay (scaled like the learning rate in the encoder)'),
    seed: z.int().min(0).default(0).describe('seed of the head, the validation split, batch order and dropout'),
  })
  .superRefine((c, ctx) => {
    if (!c.freezeEncoder && c.headWarmupEpochs >= c.epochs)
      ctx.addIssue({
        code: 'custom',
        path: ['headWarmupEpochs'],
        message: `headWarmupEpochs ${c.headWarmupEpochs} >= epochs ${c.epochs}: the encoder would never be trained (freezeEncoder: true for that)`,
      });
    if (!c.freezeEncoder && c.encoderLrScale === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['encoderLrScale'],
        message: 'encoderLrScale 0 never trains the encoder (freezeEncoder: true for that)',
      });
  });
export type FineTuneConfig = z.infer<typeof FineTuneConfig>;
export type FineTuneConfigInput = z.input<typeof FineTuneConfig>;

/** Settings for an encoder trained from random initialisation with a new head (a "no pre-training" baseline):
 * nothing pre-trained to protect, so one learning rate for all and no head warm-up. */
export const FROM_SCRATCH = { encoderLrScale: 1, headWarmupEpochs: 0 } as const satisfies FineTuneConfigInput;
