import type { CustomerState, SimContext } from './context';
import { exponential, poisson, sigmoid } from './math';

const DAY_MS = 86_400_000;
const CASHBACK = [5, 10, 20];

/** Affinity of a customer to a product line: cosine with the line's (level-2 category) latent vector. */
export function lineAffinity(ctx: SimContext, s: CustomerState, line: number): number {
  const { cat } = ctx;
  const level = Math.min(1, cat.nodeVectors.length - 1);
  const v = cat.nodeVectors[level];
  const d = cat.d;
  let dot = 0;
  let norm = 0;
  for (let k = 0; k < d; k++) {
    dot += s.c.unit[k] * v[line * d + k];
    norm += v[line * d + k] ** 2;
  }
  return norm > 0 ? dot / Math.sqrt(norm) : 0;
}

/**
 * Incentive offers (MCM §4 fine-tuning): "buy from product line L, get cash-back". Offers fall in the last
 * windowDays; click and conversion depend on the latent line affinity and on whether the customer bought in
 * the line before the offer (history), so a model of the history beats per-line popularity.
 */
export function customerOffers(ctx: SimContext, s: CustomerState): void {
  const { cat, rng, config } = ctx;
  const ic = config.incentives;
  const lines = cat.levelSizes[Math.min(1, cat.levelSizes.length - 1)];
  const windowStart = Math.max(ctx.cal.startMs, ctx.endMs - ic.windowDays * DAY_MS);
  const n = poisson(rng, ic.meanOffersPerCustomer);
  const offers = Array.from({ length: n }, () => windowStart + Math.floor(rng.next() * (ctx.endMs - windowStart))).sort((a, b) => a - b);
  for (const ts of offers) {
    const line = rng.int(lines);
    const cashback = CASHBACK[rng.int(CASHBACK.length)];
    const newLine = s.firstPurchase[line] > ts;
    const aff = lineAffinity(ctx, s, line);
    const clicked = rng.next() < sigmoid(ic.clickBias + ic.clickWeight * aff);
    const pConvert = sigmoid(ic.convertBias + ic.convertWeight * aff + (newLine ? ic.newLineEffect : 0) + ic.cashbackEffect * cashback);
    const converted = clicked && rng.next() < pConvert;
    ctx.sink.incentive({
      offerId: ctx.offers++,
      customer: s.c.index,
      ts,
      offerType: newLine ? 'new_line' : 'repeat_line',
      productLine: line,
      cashback,
      clicked,
      converted,
      conversionTs: converted ? ts + 60_000 + Math.floor(exponential(rng, 2 * DAY_MS)) : -1,
      affinity: aff,
    });
  }
}
