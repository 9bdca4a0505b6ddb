import type { CustomerState, SimContext } from './context';
import { sampleCdf, sigmoid, skewedRank } from './math';
import { affinity, intentLeaf, SessionRun } from './session';

/** Examination probability of a 1-based list position: position^-eta (DMT §4.4 position bias). */
export const positionBias = (position: number, eta: number): number => position ** -eta;

/** A fixed pseudo-random 10 % of item indices are "sponsored" (the logging ranker may promote them). */
export const isSponsored = (item: number): boolean => (Math.imul(item + 1, 0x9e3779b1) >>> 0) % 1000 < 100;

/** Leaves of the k nearest neighbours of list index i (above first, nearer first; fills from the other side at the edges). */
export function neighbourLeaves(leaves: number[], i: number, k: number): number[] {
  const out: number[] = [];
  for (let dist = 1; out.length < k && (i - dist >= 0 || i + dist < leaves.length); dist++) {
    if (i - dist >= 0 && out.length < k) out.push(leaves[i - dist]);
    if (i + dist < leaves.length && out.length < k) out.push(leaves[i + dist]);
  }
  return out;
}

/**
 * A recommendation-feed session (DMT): one request, a ranked list, clicks drawn as
 * sigmoid(ctrBias + ctrWeight·affinity) × position^-eta × (1 − penalty·same-leaf share of neighbours).
 * The logging ranker orders by affinity + noise (+ `rankerBoost` for sponsored items);
 * a `randomizedShare` of requests is shuffled instead.
 */
export function feedSession(ctx: SimContext, s: CustomerState, t: number): number {
  const { cat, rng, config } = ctx;
  const ic = config.impressions;
  const items: number[] = [];
  const seen = new Set<number>();
  for (let attempt = 0; attempt < ic.listLength * 4 && items.length < ic.listLength; attempt++) {
    const leaf = rng.next() < 0.5 ? intentLeaf(ctx, s) : sampleCdf(cat.leafCdf, rng.next());
    const item = cat.leafStart[leaf] + skewedRank(rng, cat.leafSize[leaf], config.popularitySkew);
    if (!seen.has(item)) {
      seen.add(item);
      items.push(item);
    }
  }
  const randomized = rng.next() < ic.randomizedShare;
  const relevance = new Map(items.map((item) => [item, affinity(ctx, s, item)]));
  if (randomized) rng.shuffle(items);
  else {
    const boost = (item: number) => (ic.rankerBoost && isSponsored(item) ? ic.rankerBoost : 0);
    const score = new Map(items.map((item) => [item, relevance.get(item)! + boost(item) + ic.rankerNoise * rng.normal()]));
    items.sort((a, b) => score.get(b)! - score.get(a)! || a - b);
  }
  const leaves = items.map((item) => cat.itemLeaf[item]);
  const requestId = ctx.requests++;
  const run = new SessionRun(ctx, s, ctx.sessions++, t);
  run.t += 1000;
  const rows = items.map((item, i) => {
    const position = i + 1;
    const near = neighbourLeaves(leaves, i, ic.neighbourK);
    const same = near.length ? near.filter((l) => l === leaves[i]).length / near.length : 0;
    const rel = relevance.get(item)!;
    const p = sigmoid(ic.ctrBias + ic.ctrWeight * rel) * positionBias(position, ic.positionBiasEta) * (1 - ic.neighbourPenalty * same);
    return {
      requestId,
      customer: s.c.index,
      ts: t,
      item,
      position,
      page: Math.ceil(position / ic.pageSize),
      neighbourLeaves: near,
      clicked: rng.next() < p,
      ordered: false,
      relevance: rel,
      randomized,
    };
  });
  let alive = true;
  for (const row of rows) if (row.clicked && alive) alive = run.click(row.item, row.position, row.page);
  if (alive) run.checkout();
  for (const row of rows) {
    row.ordered = row.clicked && run.bought.has(row.item);
    ctx.sink.impression(row);
  }
  return run.t;
}
