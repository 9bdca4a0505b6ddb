import type { CustomerState, SimContext } from './context';
import { geometric, skewedRank } from './math';
import { affinity, intentLeaf, SessionRun } from './session';

/**
 * A search session (MeLi search personalisation): a query about a leaf, a NON-personal result list
 * (leaf items by popularity, then sibling-leaf items), and one click chosen by position bias × the
 * customer's affinity — so a model of the customer's history can re-rank better than the list order.
 * With `search.viewsBefore` > 0 the customer first browses the intent leaf, then searches (mid-session query).
 */
export function searchSession(ctx: SimContext, s: CustomerState, t: number): number {
  const { cat, rng, config } = ctx;
  const depth = config.categoryTree.length - 1;
  const leaf = intentLeaf(ctx, s);
  const run = new SessionRun(ctx, s, ctx.sessions++, t);
  // optional browsing in the intent leaf before the query: a session prefix a session model can personalise from
  if (config.search.viewsBefore > 0 && !run.browse(run.next(leaf), geometric(rng, config.search.viewsBefore))) return run.t;
  const words = cat.leafWords[leaf];
  const name = cat.nodeNames[depth][leaf];
  const query = rng.next() < 0.5 ? `${words[rng.int(words.length)]} ${name}` : name;

  const fan = config.categoryTree[depth];
  const want = config.search.results;
  const results: number[] = [];
  const seen = new Set<number>();
  for (let attempt = 0; attempt < want * 4 && results.length < want; attempt++) {
    const l = attempt < want * 2 ? leaf : leaf - (leaf % fan) + rng.int(fan);
    const item = cat.leafStart[l] + skewedRank(rng, cat.leafSize[l], config.popularitySkew);
    if (!seen.has(item)) {
      seen.add(item);
      results.push(item);
    }
  }
  // query relevance: the query's leaf first, then popularity (lower index inside a leaf = more popular)
  results.sort((a, b) => Number(cat.itemLeaf[b] === leaf) - Number(cat.itemLeaf[a] === leaf) || a - b);

  const eta = config.impressions.positionBiasEta;
  const relevance = results.map((item) => affinity(ctx, s, item));
  const weights = results.map((_, i) => (i + 1) ** -eta * Math.exp(config.search.personalWeight * relevance[i]));
  let u = rng.next() * weights.reduce((x, y) => x + y, 0);
  let pick = 0;
  while (pick < results.length - 1 && (u -= weights[pick]) > 0) pick++;

  const position = pick + 1;
  ctx.sink.query({
    queryId: ctx.queries++,
    session: run.id,
    customer: s.c.index,
    ts: run.t,
    query,
    results,
    relevance,
    clickedItem: results[pick],
    clickedPosition: position,
  });
  const page = Math.ceil(position / config.impressions.pageSize);
  if (run.click(results[pick], position, page, query)) {
    const more = geometric(rng, config.sessions.meanViews) - 1;
    if (run.browse(run.next(leaf), more)) run.checkout();
  }
  return run.t;
}
