import { z } from 'zod';

const Rate = z.number().min(0).max(1);

/** Session funnel: view → (favourite) → cart → purchase at checkout. Rates are at affinity = affinityRef. */
export const FunnelConfig = z.object({
  cartRate: Rate.default(0.12).describe('P(cart | view) for an item of typical in-session affinity'),
  purchaseGivenCart: Rate.default(0.5).describe('P(purchase at checkout | cart)'),
  favouriteRate: Rate.default(0.03).describe('P(favourite | view)'),
  affinityWeight: z.number().min(0).default(4).describe('logit slope of cart / favourite probability in affinity (cosine)'),
  affinityRef: z.number().min(-1).max(1).default(0.6).describe('affinity at which the base rates hold'),
  priceSensitivity: z.number().min(0).default(0.5).describe('mean logit penalty per unit log(price / leaf median) at checkout'),
  highValuePrice: z.number().positive().default(250).describe('a purchase at or above this price also emits a high_value event'),
});

/** Next-item structure inside a session. The remainder (1 - stay - sibling - revisit) jumps to another interest leaf. */
export const NavigationConfig = z.object({
  stayLeaf: Rate.default(0.55).describe('next view from the same leaf category'),
  sibling: Rate.default(0.2).describe('next view from a sibling leaf (same category_3 parent)'),
  revisit: Rate.default(0.1).describe('next view re-opens an item already seen this session'),
  explore: Rate.default(0.1).describe('P(a session intent is a random popular leaf instead of an interest leaf)'),
  choiceSharpness: z
    .number()
    .min(0)
    .default(6)
    .describe('within a leaf, pick the better of two popularity draws with P = sigmoid(k · Δaffinity)'),
});

export const SessionConfig = z.object({
  meanPerCustomer: z.number().positive().default(10).describe('mean sessions per customer over the period (lognormal activity)'),
  activitySpread: z.number().min(0).default(0.8).describe('sigma of the lognormal customer activity'),
  meanViews: z.number().min(1).default(7).describe('mean views per session (geometric)'),
  meanGapSeconds: z.number().positive().default(45).describe('mean seconds between events in a session (exponential)'),
  minGapMinutes: z.number().min(0).default(30).describe('inactivity that separates two sessions of a customer'),
});

/** Seasonality of session start dates: weekly + yearly cosine + one holiday peak. */
export const SeasonalityConfig = z.object({
  weeklyAmplitude: Rate.default(0.25).describe('weekend uplift: weight × (1 + a) on Sat/Sun'),
  yearlyAmplitude: Rate.default(0.3).describe('yearly cosine amplitude, maximum at peakDate'),
  peakDate: z
    .string()
    .regex(/^\d{2}-\d{2}$/)
    .default('11-25')
    .describe('MM-DD of the holiday peak (Black Friday)'),
  peakBoost: z.number().min(0).default(2).describe('extra weight at the peak day (Gaussian bump)'),
  peakWidthDays: z.number().positive().default(7).describe('sigma of the bump in days'),
});

/** Search sessions (MeLi search personalisation): a query, a non-personal result list, one click. */
export const SearchConfig = z.object({
  sessionShare: Rate.default(0.25).describe('share of sessions that start with a search'),
  results: z.int().min(2).max(100).default(20).describe('results per query'),
  personalWeight: z.number().min(0).default(10).describe('click logit slope in the customer affinity of a result'),
  viewsBefore: z
    .number()
    .min(0)
    .default(0)
    .describe('mean item views in the session before the query (geometric; 0 = the query opens the session)'),
});

/** Feed impressions (DMT): a ranked list per request with a known position bias and neighbour effect. */
export const ImpressionConfig = z.object({
  sessionShare: Rate.default(0.2).describe('share of sessions that start with a recommendation-feed request'),
  listLength: z.int().min(1).max(400).default(40).describe('items shown per request (positions 1..listLength ≤ 400)'),
  pageSize: z.int().min(1).default(10).describe('items per page; page = ceil(position / pageSize) ≤ 100'),
  positionBiasEta: z.number().min(0).default(0.8).describe('examination bias(position) = position^-eta (DMT §4.4 position bias)'),
  neighbourK: z.int().min(0).max(20).default(6).describe('neighbours whose categories are logged (DMT K = 6)'),
  neighbourPenalty: Rate.default(0.4).describe('click prob × (1 - penalty · share of neighbours in the same leaf)'),
  ctrBias: z.number().default(-2.5).describe('click logit intercept'),
  ctrWeight: z.number().min(0).default(5).describe('click logit slope in affinity'),
  rankerNoise: z.number().min(0).default(0.15).describe('sd of noise the logging ranker adds to affinity'),
  rankerBoost: z
    .number()
    .min(0)
    .default(0)
    .describe(
      'the logging ranker adds this to the score of sponsored items (a fixed pseudo-random 10 % of the catalogue; clicks do not care: it confounds position with the item, the case a position-bias network is for)',
    ),
  randomizedShare: Rate.default(0.1).describe('share of requests shown in random order (written to impressions_random.csv)'),
});

/** Incentive offers (MCM §4 fine-tuning): "buy from product line L" cash-back offers and responses. */
export const IncentiveConfig = z.object({
  meanOffersPerCustomer: z.number().min(0).default(1.5).describe('Poisson mean offers per customer'),
  windowDays: z.int().positive().default(30).describe('offers fall in the last windowDays of the period'),
  clickBias: z.number().default(-1.5),
  clickWeight: z.number().min(0).default(3).describe('click logit slope in customer–product-line affinity'),
  convertBias: z.number().default(-2),
  convertWeight: z.number().min(0).default(5).describe('conversion logit slope in affinity'),
  newLineEffect: z.number().default(-1).describe('conversion logit shift when the customer never bought in the line'),
  cashbackEffect: z.number().default(0.05).describe('conversion logit per unit of cash-back'),
});

export const OutputConfig = z.object({
  impressions: z.boolean().default(true),
  queries: z.boolean().default(true),
  incentives: z.boolean().default(true),
  itemText: z.boolean().default(true).describe('items_text.jsonl with one dense text vector per item'),
  sha256: z.boolean().default(true).describe('hash each file into manifest.json'),
});

export const SimConfig = z.object({
  seed: z.union([z.int(), z.string()]).default(42).describe('same seed → byte-identical files'),
  customers: z.int().positive().default(2000).describe('customers (ignored when targetEvents is set)'),
  targetEvents: z.int().positive().optional().describe('generate customers until exactly this many events'),
  items: z.int().min(10).default(5000),
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2023-01-01')
    .describe('first day (UTC)'),
  days: z.int().min(1).max(3660).default(365),
  categoryTree: z.array(z.int().positive()).min(1).max(4).default([8, 4, 4, 3]).describe('children per level; leaves = product'),
  brands: z.int().positive().default(300),
  latentDim: z.int().min(2).max(256).default(16).describe('dimension of customer / item latent vectors'),
  textDim: z.int().min(1).max(1024).default(32).describe('dimension of the item text vector (projection of latent + noise)'),
  textNoise: z.number().min(0).default(0.3),
  popularitySkew: z.number().min(0).default(1.2).describe('Zipf-like exponent of item popularity inside a leaf'),
  interestsPerCustomer: z.int().min(1).max(10).default(3).describe('leaf categories a customer is interested in'),
  favouriteBrands: z.int().min(0).max(20).default(3).describe('brands a customer is loyal to (drawn from their interest categories)'),
  brandLoyalty: z.number().min(0).default(0.3).describe('affinity bonus for an item of a favourite brand'),
  funnel: FunnelConfig.prefault({}),
  navigation: NavigationConfig.prefault({}),
  sessions: SessionConfig.prefault({}),
  seasonality: SeasonalityConfig.prefault({}),
  search: SearchConfig.prefault({}),
  impressions: ImpressionConfig.prefault({}),
  incentives: IncentiveConfig.prefault({}),
  outputs: OutputConfig.prefault({}),
});
export type SimConfig = z.infer<typeof SimConfig>;
export type SimConfigInput = z.input<typeof SimConfig>;
