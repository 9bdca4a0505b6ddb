import { beforeAll, describe, expect, it } from 'vitest';
import { simulate, type Impression, type Simulation } from './index';

// One medium run shared by the checks below (feed-heavy so position statistics have enough requests).
let sim: Simulation;
beforeAll(() => {
  sim = simulate({ customers: 800, items: 3000, seed: 3, impressions: { sessionShare: 0.4, randomizedShare: 0.5 } });
}, 120_000);

const pearson = (xs: number[], ys: number[]) => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

/** AUC of scores for binary labels (ties count half). */
const auc = (scores: number[], labels: boolean[]) => {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0,
    pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]] === scores[idx[i]]) j++;
    for (let k = i; k < j; k++)
      if (labels[idx[k]]) {
        rankSum += (i + j + 1) / 2;
        pos++;
      }
    i = j;
  }
  const neg = labels.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
};

const ctrByPosition = (rows: Impression[], n: number) => {
  const shown = new Array(n + 1).fill(0),
    clicks = new Array(n + 1).fill(0);
  for (const r of rows) {
    shown[r.position]++;
    clicks[r.position] += +r.clicked;
  }
  return shown.map((s, p) => (s ? clicks[p] / s : 0));
};

describe('events', () => {
  it('never carts, favourites or buys an item before viewing it in the same session, and keeps time order', { timeout: 60_000 }, () => {
    const viewed = new Map<string, Set<string>>();
    const lastTs = new Map<string, number>();
    for (const e of sim.events) {
      const seen = viewed.get(e.sessionId!) ?? new Set<string>();
      viewed.set(e.sessionId!, seen);
      if (e.type === 'view') seen.add(e.itemId);
      else if (e.type !== 'click') expect(seen.has(e.itemId), `${e.type} of ${e.itemId} in ${e.sessionId}`).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(lastTs.get(e.customerId) ?? 0);
      lastTs.set(e.customerId, e.ts);
    }
    const types = new Set(sim.events.map((e) => e.type));
    expect([...types].sort()).toEqual(['cart', 'click', 'favourite', 'high_value', 'purchase', 'view']);
  });

  it('follows the seasonal density: daily sessions correlate with the truth day weights', () => {
    const starts = new Map<string, number>();
    for (const e of sim.events) if (!starts.has(e.sessionId!)) starts.set(e.sessionId!, e.ts);
    const perDay = new Array(sim.config.days).fill(0);
    const t0 = Date.parse(`${sim.config.startDate}T00:00:00Z`);
    for (const ts of starts.values()) perDay[Math.floor((ts - t0) / 86_400_000)]++;
    const weights = sim.truth.seasonality.dayWeights.map((d) => d.weight);
    expect(pearson(perDay, weights)).toBeGreaterThan(0.6);
    const peak = weights.indexOf(Math.max(...weights));
    const around = (d: number) => perDay.slice(d - 3, d + 4).reduce((a, b) => a + b, 0);
    expect(around(peak)).toBeGreaterThan(1.8 * around((peak + 182) % 365));
  });

  it('gives consecutive views in a session the same leaf category far more often than chance', () => {
    const leaf = new Map(sim.items.map((i) => [i.itemId, i.categories.join('/')]));
    let same = 0,
      pairs = 0;
    for (let i = 1; i < sim.events.length; i++) {
      const [a, b] = [sim.events[i - 1], sim.events[i]];
      if (a.type !== 'view' || b.type !== 'view' || a.sessionId !== b.sessionId || a.itemId === b.itemId) continue;
      pairs++;
      same += +(leaf.get(a.itemId) === leaf.get(b.itemId));
    }
    expect(same / pairs).toBeGreaterThan(0.3); // 384 leaves: chance is well under 0.05
  });

  it('gives items of one leaf closer text vectors than items of different leaves', () => {
    const cos = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k], 0) / Math.hypot(...a) / Math.hypot(...b);
    const byLeaf = new Map<string, number[][]>();
    for (const it of sim.items) byLeaf.set(it.categories.join('/'), [...(byLeaf.get(it.categories.join('/')) ?? []), it.textEmbedding!]);
    const groups = [...byLeaf.entries()].filter(([, g]) => g.length >= 2);
    const within = groups.map(([, g]) => cos(g[0], g[1]));
    // pair each leaf with the leaf half the list away: a different top-level category
    const across = groups.map(([, g], i) => cos(g[0], groups[(i + (groups.length >> 1)) % groups.length][1][0]));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(within)).toBeGreaterThan(mean(across) + 0.3);
  });
});

describe('impressions', () => {
  it('shows the configured position bias in the randomised set: fitted eta matches truth', () => {
    const n = sim.config.impressions.listLength;
    const ctr = ctrByPosition(sim.randomImpressions, n);
    const xs: number[] = [],
      ys: number[] = [];
    for (let p = 1; p <= n; p++)
      if (ctr[p] > 0) {
        xs.push(Math.log(p));
        ys.push(Math.log(ctr[p]));
      }
    const slope = pearson(xs, ys) * Math.sqrt(variance(ys) / variance(xs));
    expect(Math.abs(-slope - sim.truth.positionBias.eta)).toBeLessThan(0.15);
    // CTR(1..2) / CTR(9..11) against the same ratio of the truth bias
    const bias = sim.truth.positionBias.byPosition;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(ctr.slice(1, 3)) / mean(ctr.slice(9, 12));
    const expected = mean(bias.slice(0, 2)) / mean(bias.slice(8, 11));
    expect(ratio / expected).toBeGreaterThan(0.7);
    expect(ratio / expected).toBeLessThan(1.4);
  });

  it('decorrelates position and relevance in the randomised set but not in the logged set', () => {
    const r = (rows: Impression[]) =>
      pearson(
        rows.map((x) => x.position),
        rows.map((x) => x.relevance),
      );
    expect(Math.abs(r(sim.randomImpressions))).toBeLessThan(0.05);
    expect(r(sim.impressions)).toBeLessThan(-0.3);
    // the logged CTR falls faster than the bias alone, because relevance falls with position too
    const logged = ctrByPosition(sim.impressions, 40);
    const random = ctrByPosition(sim.randomImpressions, 40);
    expect(logged[1] / logged[20]).toBeGreaterThan(random[1] / random[20]);
  });

  it('lowers CTR when neighbours share the item leaf (neighbour effect)', () => {
    // observed clicks / clicks expected without the neighbour term, for crowded vs lone items
    const { ctrBias, ctrWeight, neighbourPenalty } = sim.truth.clickModel;
    const { eta } = sim.truth.positionBias;
    const leafOf = new Map(sim.items.map((i) => [i.itemId, i.categories[i.categories.length - 1]]));
    const crowded = [0, 0],
      alone = [0, 0];
    for (const r of sim.randomImpressions) {
      const same = r.neighbourCategories.filter((c) => c === leafOf.get(r.itemId)).length;
      const b = same >= 3 ? crowded : same === 0 ? alone : null;
      if (!b) continue;
      b[0] += r.position ** -eta / (1 + Math.exp(-(ctrBias + ctrWeight * r.relevance)));
      b[1] += +r.clicked;
    }
    expect(alone[1] / alone[0]).toBeGreaterThan(0.9);
    expect(crowded[1] / crowded[0]).toBeLessThan(1 - neighbourPenalty / 2 + 0.1);
  });
});

function variance(xs: number[]) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
}

describe('incentives and search', () => {
  it('makes conversions predictable from history better than from product-line popularity', () => {
    const itemLine = new Map(sim.items.map((i) => [i.itemId, i.productLine!]));
    const history = new Map<string, { ts: number; line: string }[]>();
    for (const e of sim.events)
      history.set(e.customerId, [...(history.get(e.customerId) ?? []), { ts: e.ts, line: itemLine.get(e.itemId)! }]);
    // popularity = per-line conversion rate on even customers, evaluated on odd customers
    const isTest = (o: { customerId: string }) => Number(o.customerId.slice(1)) % 2 === 1;
    const rate = new Map<string, [number, number]>();
    for (const o of sim.incentives.filter((x) => !isTest(x))) {
      const r = rate.get(o.productLine) ?? [0, 0];
      r[0]++;
      r[1] += +o.converted;
      rate.set(o.productLine, r);
    }
    const test = sim.incentives.filter(isTest);
    const labels = test.map((o) => o.converted);
    const popularity = test.map((o) => (rate.has(o.productLine) ? rate.get(o.productLine)![1] / rate.get(o.productLine)![0] : 0));
    // history = share of earlier events in the offer's line, plus 0.3 × share in its top-level category
    const fromHistory = test.map((o) => {
      const h = (history.get(o.customerId) ?? []).filter((x) => x.ts < o.ts);
      const top = o.productLine.split('/')[0];
      const score = h.filter((x) => x.line === o.productLine).length + 0.3 * h.filter((x) => x.line.split('/')[0] === top).length;
      return h.length ? score / h.length : 0;
    });
    expect(labels.filter(Boolean).length).toBeGreaterThan(30);
    expect(auc(fromHistory, labels)).toBeGreaterThan(auc(popularity, labels) + 0.15);
    expect(
      auc(
        test.map((o) => o.affinity),
        labels,
      ),
    ).toBeGreaterThan(0.8);
  });

  it('makes search clicks personal: re-ranking by the latent affinity beats the non-personal order', () => {
    // the signal a history model has to recover; with small catalogues the observable history carries little of it
    const { eta } = sim.truth.positionBias;
    const w = sim.truth.search.personalWeight;
    let base = 0,
      oracle = 0;
    for (const q of sim.queries) {
      base += 1 / q.clickedPosition;
      const order = q.results.map((id, i) => [id, w * q.relevance[i] - eta * Math.log(i + 1)] as const).sort((a, b) => b[1] - a[1]);
      oracle += 1 / (order.findIndex(([id]) => id === q.clickedItemId) + 1);
    }
    expect(sim.queries.length).toBeGreaterThan(500);
    expect(oracle / sim.queries.length).toBeGreaterThan(base / sim.queries.length + 0.05);
  });
});

describe('mid-session search (search.viewsBefore)', () => {
  it('browses the intent leaf before the query, so the query has a same-session prefix; 0 keeps the query first', () => {
    const base = {
      customers: 120,
      items: 800,
      seed: 3,
      search: { sessionShare: 0.5 },
      outputs: { impressions: false, incentives: false, itemText: false },
    };
    const prefixViews = (sim: ReturnType<typeof simulate>) => {
      const views = new Map<string, number[]>();
      for (const e of sim.events)
        if (e.type === 'view')
          (
            views.get(`${e.customerId}/${e.sessionId}`) ??
            views.set(`${e.customerId}/${e.sessionId}`, []).get(`${e.customerId}/${e.sessionId}`)!
          ).push(e.ts);
      return sim.queries.map((q) => (views.get(`${q.customerId}/${q.sessionId}`) ?? []).filter((ts) => ts < q.ts).length);
    };
    const first = prefixViews(simulate(base));
    const mid = prefixViews(simulate({ ...base, search: { sessionShare: 0.5, viewsBefore: 3 } }));
    expect(first.length).toBeGreaterThan(50);
    expect(first.every((n) => n === 0)).toBe(true);
    expect(mid.length).toBeGreaterThan(50);
    expect(mid.every((n) => n >= 1)).toBe(true);
    expect(mid.reduce((a, b) => a + b, 0) / mid.length).toBeGreaterThan(2);
  });
});

describe('logging ranker promotion (rankerBoost)', () => {
  it('puts promoted items on top regardless of relevance, so the top slot is less relevant than without it', () => {
    const top = (boost: number) => {
      const s = simulate({
        customers: 250,
        items: 1500,
        seed: 5,
        impressions: { sessionShare: 0.4, randomizedShare: 0, rankerBoost: boost },
        outputs: { queries: false, incentives: false, itemText: false },
      });
      const first = s.impressions.filter((r) => r.position === 1);
      const clicks = s.impressions.filter((r) => r.position === 1 && r.clicked).length / first.length;
      return { relevance: first.reduce((a, r) => a + r.relevance, 0) / first.length, n: first.length, clicks };
    };
    const plain = top(0);
    const boosted = top(3);
    expect(plain.n).toBeGreaterThan(100);
    expect(boosted.relevance).toBeLessThan(plain.relevance - 0.05);
    expect(boosted.clicks).toBeLessThan(plain.clicks); // clicks follow relevance, not the promotion
  }, 120_000);
});
