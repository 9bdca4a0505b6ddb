/** Impressions approximated from page views, for logs without an impression table (Taobao
 * UserBehavior, any prepared dataset): each session (events ≥ gapMinutes apart start a new one)
 * becomes one request at its first event; its distinct viewed items are the clicked impressions,
 * filled up to listLength with items drawn by view popularity that the session did not view
 * (non-clicked); ordered = bought in that session. The list is shuffled, so positions carry no bias;
 * page = ceil(position / pageSize); neighbours are the K nearest list items (above first). */
import { createRng, type Event, type PreparedDataset } from '@cfm/core';
import { TYPE_VOCAB } from '@cfm/data';
import type { DmtConfig } from './config';
import { buildImpressionSet } from './impressions';
import type { Catalogue, ImpressionRow, ImpressionSet } from './impression-types';

export interface PageViewOptions {
  listLength?: number;
  pageSize?: number;
  neighbours?: number;
  gapMinutes?: number;
  /** only sessions starting in [fromMs, toMs) become requests */
  fromMs?: number;
  toMs?: number;
  seed?: number;
}

const VIEWS = new Set(['view', 'click']);

export function pageViewImpressions(events: Event[], cat: Catalogue, o: PageViewOptions = {}): ImpressionRow[] {
  const { listLength = 20, pageSize = 10, neighbours = 6, gapMinutes = 30, fromMs = -Infinity, toMs = Infinity, seed = 0 } = o;
  const rng = createRng(seed).fork('page-views');
  const byCustomer = new Map<string, Event[]>();
  for (const e of events) (byCustomer.get(e.customerId) ?? byCustomer.set(e.customerId, []).get(e.customerId)!).push(e);
  const popular: string[] = []; // one entry per view before toMs: uniform draws = popularity draws
  for (const e of events) if (VIEWS.has(e.type) && e.ts < toMs) popular.push(e.itemId);
  const itemIndex = new Map(cat.vocabs.item.tokens.map((t, i) => [t, i]));
  const leaf = (item: string) => cat.vocabs.category?.tokens[cat.itemFeatures.category?.[itemIndex.get(item) ?? 0] ?? 0] ?? '';
  const rows: ImpressionRow[] = [];
  let request = 0;
  for (const [customer, list] of byCustomer) {
    list.sort((a, b) => a.ts - b.ts);
    for (let s = 0; s < list.length;) {
      let e = s + 1;
      while (e < list.length && list[e].ts - list[e - 1].ts < gapMinutes * 60_000) e++;
      const session = list.slice(s, e);
      s = e;
      const start = session[0].ts;
      if (start < fromMs || start >= toMs || !popular.length) continue;
      const viewed = [...new Set(session.filter((x) => VIEWS.has(x.type)).map((x) => x.itemId))].slice(0, Math.ceil(listLength / 2));
      if (!viewed.length) continue;
      const bought = new Set(session.filter((x) => x.type === 'purchase').map((x) => x.itemId));
      const inSession = new Set(session.map((x) => x.itemId));
      const shown = new Set(viewed);
      for (let tries = 0; shown.size < listLength && tries < listLength * 20; tries++) {
        const it = popular[rng.int(popular.length)];
        if (!inSession.has(it)) shown.add(it);
      }
      const items = rng.shuffle([...shown]);
      const leaves = items.map(leaf);
      const id = `pv${request++}`;
      items.forEach((it, i) => {
        const near: string[] = [];
        for (let d = 1; near.length < neighbours && (i - d >= 0 || i + d < items.length); d++) {
          if (i - d >= 0 && near.length < neighbours) near.push(leaves[i - d]);
          if (i + d < items.length && near.length < neighbours) near.push(leaves[i + d]);
        }
        const clicked = viewed.includes(it);
        rows.push({
          requestId: id,
          customerId: customer,
          ts: start,
          itemId: it,
          position: i + 1,
          page: Math.ceil((i + 1) / pageSize),
          neighbourCategories: near,
          clicked,
          ordered: clicked && bought.has(it),
        });
      });
    }
  }
  return rows;
}

/** contract events back from CSR sequences (ids → tokens, seconds → ms) */
export function sequenceEvents(data: PreparedDataset, part: 'train' | 'valid' | 'test'): Event[] {
  const seqs = part === 'train' ? data.train : data[part].history;
  const items = data.vocabs.item.tokens;
  const out: Event[] = [];
  seqs.customerIds.forEach((c, k) => {
    for (let i = seqs.offsets[k]; i < seqs.offsets[k + 1]; i++)
      out.push({
        customerId: c,
        itemId: items[seqs.items[i]],
        ts: Math.round(seqs.times[i] * 1000),
        type: (TYPE_VOCAB.tokens[seqs.types[i]] ?? 'view') as Event['type'],
      });
  });
  return out;
}

/** `cfm train` path: requests from the training sequences; the last 20% of time is the validation part. */
export function impressionsFromPrepared(
  data: PreparedDataset,
  cat: Catalogue,
  c: DmtConfig,
): { train: ImpressionSet; valid: ImpressionSet } {
  const events = sequenceEvents(data, 'train');
  const times = events.map((e) => e.ts).sort((a, b) => a - b);
  const cut = times[Math.floor(times.length * 0.8)] ?? 0;
  const o = { neighbours: c.neighbours, seed: c.seed };
  const build = (fromMs: number, toMs: number) =>
    buildImpressionSet(pageViewImpressions(events, cat, { ...o, fromMs, toMs }), events, cat, c.behaviours, { neighbours: c.neighbours });
  return { train: build(-Infinity, cut), valid: build(cut, Infinity) };
}
