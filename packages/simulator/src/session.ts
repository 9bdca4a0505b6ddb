import { productLineOfLeaf } from './catalog';
import * as context from './context';
import type { CustomerState, SimContext } from './context';
import * as math from './math';

// Bound once: calls through the CommonJS export getters are measurably slower on this hot path.
const { emit } = context;
const { dotRows, exponential, geometric, logit, sampleCdf, sigmoid, skewedRank } = math;

/** Latent affinity of a customer to an item: cosine of their latent vectors, + brandLoyalty for a favourite brand. */
export function affinity(ctx: SimContext, s: CustomerState, item: number): number {
  const cos = dotRows(s.c.unit, 0, ctx.cat.itemUnit, item, ctx.cat.d);
  return s.c.favouriteBrand[ctx.cat.itemBrand[item]] ? cos + ctx.config.brandLoyalty : cos;
}

/** An item of a leaf: two popularity-skewed draws, the closer to the customer wins with P = sigmoid(k·Δ). */
export function pickInLeaf(ctx: SimContext, s: CustomerState, leaf: number): number {
  const { cat, rng, config } = ctx;
  const start = cat.leafStart[leaf];
  const size = cat.leafSize[leaf];
  const a = start + skewedRank(rng, size, config.popularitySkew);
  if (size === 1) return a;
  const b = start + skewedRank(rng, size, config.popularitySkew);
  const delta = affinity(ctx, s, b) - affinity(ctx, s, a);
  return rng.next() < sigmoid(config.navigation.choiceSharpness * delta) ? b : a;
}

/** The leaf a session is about: usually one of the customer's interests, sometimes a popular leaf. */
export function intentLeaf(ctx: SimContext, s: CustomerState): number {
  const { rng, cat } = ctx;
  if (rng.next() < ctx.config.navigation.explore) return sampleCdf(cat.leafCdf, rng.next());
  return s.c.interestLeaves[sampleCdf(s.c.interestCdf, rng.next())];
}

function siblingLeaf(ctx: SimContext, leaf: number): number {
  const tree = ctx.config.categoryTree;
  const fan = tree[tree.length - 1];
  return leaf - (leaf % fan) + ctx.rng.int(fan);
}

/** A browsing session in progress: views, favourites and carts, then checkout. */
export class SessionRun {
  private readonly viewed: number[] = [];
  private readonly carted: number[] = [];
  /** items bought at checkout (read by feed sessions for the `ordered` label) */
  readonly bought = new Set<number>();
  constructor(
    private readonly ctx: SimContext,
    private readonly s: CustomerState,
    readonly id: number,
    public t: number,
  ) {}

  private gap(): number {
    return 1000 + Math.floor(exponential(this.ctx.rng, this.ctx.config.sessions.meanGapSeconds * 1000));
  }

  /** View an item (already reached by click or navigation) and run the view → favourite / cart funnel. */
  view(item: number): boolean {
    const { ctx, s } = this;
    if (!emit(ctx, s, item, this.t, 'view', this.id)) return false;
    this.viewed.push(item);
    const f = ctx.config.funnel;
    const shift = f.affinityWeight * (affinity(ctx, s, item) - f.affinityRef);
    if (ctx.rng.next() < sigmoid(logit(f.favouriteRate) + shift)) {
      this.t += this.gap();
      if (!emit(ctx, s, item, this.t, 'favourite', this.id)) return false;
    }
    if (!this.carted.includes(item) && ctx.rng.next() < sigmoid(logit(f.cartRate) + shift)) {
      this.t += this.gap();
      if (!emit(ctx, s, item, this.t, 'cart', this.id)) return false;
      this.carted.push(item);
    }
    this.t += this.gap();
    return true;
  }

  /** A click on a list entry (search result or feed impression), then the view it opens. */
  click(item: number, position: number, page: number, query = ''): boolean {
    if (!emit(this.ctx, this.s, item, this.t, 'click', this.id, position, page, query)) return false;
    this.t += this.gap();
    return this.view(item);
  }

  /** Next item by the navigation model: revisit, same leaf, sibling leaf, or another interest. */
  next(leaf: number): number {
    const { ctx, s } = this;
    const nav = ctx.config.navigation;
    const u = ctx.rng.next();
    if (u < nav.revisit && this.viewed.length) return this.viewed[ctx.rng.int(this.viewed.length)];
    if (u < nav.revisit + nav.stayLeaf) return pickInLeaf(ctx, s, leaf);
    if (u < nav.revisit + nav.stayLeaf + nav.sibling) return pickInLeaf(ctx, s, siblingLeaf(ctx, leaf));
    return pickInLeaf(ctx, s, intentLeaf(ctx, s));
  }

  /** Browse `views` items starting from `item`. */
  browse(item: number, views: number): boolean {
    for (let v = 0; v < views; v++) {
      if (!this.view(item)) return false;
      item = this.next(this.ctx.cat.itemLeaf[item]);
    }
    return true;
  }

  /** Checkout: each carted item is bought with P depending on its price relative to its leaf. */
  checkout(): boolean {
    const { ctx, s } = this;
    const { cat, rng } = ctx;
    const f = ctx.config.funnel;
    for (const item of this.carted) {
      const leaf = cat.itemLeaf[item];
      const rel = Math.log(cat.itemPrice[item] / cat.leafMedianPrice[leaf]);
      if (rng.next() >= sigmoid(logit(f.purchaseGivenCart) - s.c.priceSensitivity * rel)) continue;
      this.t += this.gap();
      if (!emit(ctx, s, item, this.t, 'purchase', this.id)) return false;
      this.bought.add(item);
      const line = productLineOfLeaf(cat, leaf);
      if (s.firstPurchase[line] > this.t) s.firstPurchase[line] = this.t;
      if (cat.itemPrice[item] >= f.highValuePrice && !emit(ctx, s, item, this.t + 1, 'high_value', this.id)) return false;
    }
    return true;
  }
}

/** A plain browsing session from an intent leaf; returns the session end time. */
export function browseSession(ctx: SimContext, s: CustomerState, t: number): number {
  const run = new SessionRun(ctx, s, ctx.sessions++, t);
  const first = pickInLeaf(ctx, s, intentLeaf(ctx, s));
  if (run.browse(first, geometric(ctx.rng, ctx.config.sessions.meanViews))) run.checkout();
  return run.t;
}
