import type { ProgressReporter } from '@cfm/core';
import { buildCatalog, type Catalog } from './catalog';
import type { SimConfig } from './config';
import type { CustomerState, SimContext } from './context';
import { createCustomer } from './customers';
import { feedSession } from './feed';
import { customerOffers } from './incentives';
import { browseSession } from './session';
import { searchSession } from './search';
import { buildCalendar, endMs, sampleStart } from './seasonality';
import type { Sink } from './sink';
import { createRng } from '@cfm/core';

const MINUTE_MS = 60_000;

export interface GenerateResult {
  ctx: SimContext;
  customers: number;
}

export function createContext(config: SimConfig, sink: Sink, cat?: Catalog): SimContext {
  const root = createRng(config.seed);
  const catalog = cat ?? buildCatalog(config, root.fork('catalog'));
  const cal = buildCalendar(config);
  return {
    config,
    cat: catalog,
    cal,
    sink,
    rng: root.fork('events'),
    endMs: endMs(cal),
    remaining: config.targetEvents ?? Infinity,
    events: 0,
    sessions: 0,
    requests: 0,
    queries: 0,
    offers: 0,
  };
}

/** All sessions (and offers) of one customer, in time order. */
export function simulateCustomer(ctx: SimContext, s: CustomerState): void {
  const { rng, config } = ctx;
  const starts = Array.from({ length: s.c.sessions }, () => sampleStart(ctx.cal, rng)).sort((a, b) => a - b);
  const searchShare = config.outputs.queries ? config.search.sessionShare : 0;
  const feedShare = config.outputs.impressions ? config.impressions.sessionShare : 0;
  let lastEnd = -Infinity;
  for (const start of starts) {
    const t = Math.max(start, lastEnd + config.sessions.minGapMinutes * MINUTE_MS);
    if (t >= ctx.endMs || ctx.remaining <= 0) break;
    const u = rng.next();
    lastEnd = u < searchShare ? searchSession(ctx, s, t) : u < searchShare + feedShare ? feedSession(ctx, s, t) : browseSession(ctx, s, t);
  }
  if (config.outputs.incentives) customerOffers(ctx, s);
}

/**
 * Run the generator: customers one at a time (bounded memory), until `customers` are done or, with
 * targetEvents, until exactly that many events were emitted (the last session may be cut short).
 */
export function generate(ctx: SimContext, progress?: ProgressReporter): GenerateResult {
  const { config, cat } = ctx;
  const lines = cat.levelSizes[Math.min(1, cat.levelSizes.length - 1)];
  const customerRng = createRng(config.seed).fork('customers');
  const target = config.targetEvents;
  const total = target ?? config.customers;
  progress?.start('simulate', total);
  let i = 0;
  for (; target !== undefined ? ctx.remaining > 0 : i < config.customers; i++) {
    const c = createCustomer(i, config, cat, customerRng);
    ctx.sink.customer(c);
    simulateCustomer(ctx, { c, firstPurchase: new Float64Array(lines).fill(Infinity) });
    if ((i & 255) === 0)
      progress?.update({
        step: 'simulate',
        done: target !== undefined ? ctx.events : i,
        total,
        info: { events: ctx.events, customers: i + 1 },
      });
  }
  progress?.finish('simulate', { events: ctx.events, customers: i });
  return { ctx, customers: i };
}
