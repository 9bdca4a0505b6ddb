import { z } from 'zod';
import { CfmError } from '@cfm/core';

/** One behaviour channel of a multi-behaviour sequence (DMT §3.1). */
export const BehaviourSpec = z.strictObject({
  name: z.string().min(1).describe('channel name, e.g. click'),
  types: z.array(z.string()).min(1).describe('event types feeding this channel'),
  maxLen: z.number().int().positive().describe('keep the most recent maxLen events'),
  windowDays: z.number().positive().describe('only events within this many days before the reference time'),
});
export type BehaviourSpec = z.infer<typeof BehaviourSpec>;

/** click 50 / 7 days, cart 10 / 1 year, order 10 / 1 year (DMT §3.1). */
export const DMT_BEHAVIOURS: BehaviourSpec[] = [
  { name: 'click', types: ['click', 'view'], maxLen: 50, windowDays: 7 },
  { name: 'cart', types: ['cart'], maxLen: 10, windowDays: 365 },
  { name: 'order', types: ['purchase'], maxLen: 10, windowDays: 365 },
];

export const TsUnit = z.enum(['s', 'ms', 'us']);
export type TsUnit = z.infer<typeof TsUnit>;
/** milliseconds per unit of a numeric `ts` */
export const MS_PER_UNIT: Record<TsUnit, number> = { s: 1000, ms: 1, us: 0.001 };

/** The default null tokens: read as null, never as ids (docs/data.md, "Validation"). */
export const NULL_TOKENS = ['', 'NULL', 'null', 'None', 'NaN'] as const;

export const SplitKind = z.enum(['temporal', 'loo', 'customer']);
export type SplitKind = z.infer<typeof SplitKind>;

export const PrepareConfig = z
  .object({
    split: SplitKind.default('temporal').describe('temporal cut-offs (default), leave-one-out, or customer-disjoint'),
    cutoffsMs: z
      .tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])
      .optional()
      .describe('temporal [t1, t2]: train < t1 <= valid < t2 <= test; default = 80% / 90% quantiles of event time'),
    customerFractions: z
      .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
      .default([0.8, 0.1, 0.1])
      .describe('customer-disjoint train / valid / test shares'),
    seed: z.number().int().default(42).describe('seed for the customer-disjoint assignment'),
    dedup: z
      .enum(['none', 'exact', 'day'])
      .default('exact')
      .describe("'exact': same customer, item, type, time -> one; 'day': same customer, item, type within a UTC day -> one (ShopperBERT)"),
    minItemCount: z.number().int().positive().default(1).describe('items seen fewer times map to [OOV]'),
    minAttrCount: z.number().int().positive().default(1).describe('min-count of category / brand / product-line tokens'),
    priceBuckets: z.number().int().min(2).max(100).default(10).describe('quantile buckets of item price'),
    maxSeqLen: z.number().int().positive().max(1_000_000).default(5000).describe('keep the most recent events per customer'),
    sessionGapMinutes: z
      .number()
      .positive()
      .default(30)
      .describe('inactivity gap that starts a new session when events carry no session id'),
    vocabFrom: z
      .enum(['train', 'all'])
      .optional()
      .describe("which events count for vocabularies; default 'all' for loo (published protocol), 'train' otherwise"),
    unknownItems: z.enum(['quarantine', 'keep']).default('quarantine').describe('events whose item is missing from a given catalogue'),
    tsUnit: TsUnit.default('ms').describe("unit of numeric `ts` values (epoch 's', 'ms' or 'us'); ISO-8601 strings need none"),
    nullTokens: z
      .array(z.string().max(32))
      .max(64)
      .default([...NULL_TOKENS])
      .describe("strings read as null in every field but `query` (after trimming); '' is always null"),
  })
  .superRefine((c, ctx) => {
    if (c.cutoffsMs && c.cutoffsMs[0] >= c.cutoffsMs[1]) ctx.addIssue({ code: 'custom', path: ['cutoffsMs'], message: 'need t1 < t2' });
    const s = c.customerFractions.reduce((a, b) => a + b, 0);
    if (Math.abs(s - 1) > 1e-6) ctx.addIssue({ code: 'custom', path: ['customerFractions'], message: `shares sum to ${s}, need 1` });
  });
export type PrepareConfig = z.infer<typeof PrepareConfig>;
export type PrepareConfigInput = z.input<typeof PrepareConfig>;

/** Parse a config, turning zod issues into a CfmError naming the field. */
export function parsePrepareConfig(input: unknown): PrepareConfig {
  const r = PrepareConfig.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new CfmError('CFM_E_CONFIG', issue.message, { field: issue.path.join('.') || undefined });
}
