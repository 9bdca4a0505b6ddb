/** Impression logs in request-major form, the input of every DMT ranking model: each request (one
 * shown list) carries its customer's behaviour sequences as of the request time (DMT §3.1) and its
 * impressions with position, page, neighbour categories, click and order labels. */
import { CfmError, PAD, type CustomerSequences, type Event, type Item, type Vocabularies } from '@cfm/core';
import { buildMultiBehaviour, makeVocabulary, typeId, vocabLookup, type BehaviourSpec } from '@cfm/data';
import { denseFeatures } from './features';
import type { Catalogue, ImpressionRow, ImpressionSet } from './impression-types';

export function requestCount(s: ImpressionSet): number {
  return s.offsets.length - 1;
}

/** Catalogue from contract items: the leaf (last) category, brand and product line as item features. */
export function catalogueFromItems(items: Item[]): Catalogue {
  const ids = new Set<string>();
  items.forEach((it, i) => {
    if (ids.has(it.itemId))
      throw new CfmError('CFM_E_ROW_SCHEMA', `duplicate item "${it.itemId}"`, { file: 'items', row: i, field: 'itemId' });
    ids.add(it.itemId);
  });
  const uniq = (xs: Array<string | undefined>) => [...new Set(xs.filter((x): x is string => !!x))].sort();
  const leaf = (it: Item) => it.categories[it.categories.length - 1];
  const vocabs: Vocabularies = {
    item: makeVocabulary(
      'item',
      items.map((it) => it.itemId),
    ),
    category: makeVocabulary('category', uniq(items.map(leaf))),
    brand: makeVocabulary('brand', uniq(items.map((it) => it.brand))),
    shop: makeVocabulary('shop', uniq(items.map((it) => it.productLine))),
  };
  const table = (name: string, key: (it: Item) => string | undefined) => {
    const look = vocabLookup(vocabs[name]);
    const t = new Int32Array(vocabs.item.tokens.length);
    items.forEach((it, i) => (t[i + 4] = key(it) ? look(key(it)) : PAD));
    return t;
  };
  const itemFeatures = {
    category: table('category', leaf),
    brand: table('brand', (it) => it.brand),
    shop: table('shop', (it) => it.productLine),
  };
  for (const [f, v] of Object.entries(vocabs))
    if (f !== 'item' && v.tokens.length <= 4) delete itemFeatures[f as keyof typeof itemFeatures];
  return { vocabs, itemFeatures };
}

/** Events grouped by customer, time-ordered, ids from the catalogue; unknown items are dropped. */
export function customerEvents(events: Event[], cat: Catalogue): { seqs: CustomerSequences; index: Map<string, number> } {
  const itemId = vocabLookup(cat.vocabs.item);
  const byCustomer = new Map<string, Event[]>();
  for (const e of events) {
    const list = byCustomer.get(e.customerId);
    if (list) list.push(e);
    else byCustomer.set(e.customerId, [e]);
  }
  const ids = [...byCustomer.keys()];
  const offsets = new Int32Array(ids.length + 1);
  const items: number[] = [],
    types: number[] = [],
    times: number[] = [];
  ids.forEach((c, k) => {
    const list = byCustomer.get(c)!.sort((a, b) => a.ts - b.ts);
    for (const e of list) {
      const it = itemId(e.itemId);
      if (it < 4) continue;
      items.push(it);
      types.push(typeId(e.type));
      times.push(e.ts / 1000);
    }
    offsets[k + 1] = items.length;
  });
  const seqs = { customerIds: ids, offsets, items: Int32Array.from(items), types: Int32Array.from(types), times: Float64Array.from(times) };
  return { seqs, index: new Map(ids.map((c, i) => [c, i])) };
}

/** Builds the request-major set: rows of one request must be contiguous (as logged). */
export function buildImpressionSet(
  rows: ImpressionRow[],
  events: Event[],
  cat: Catalogue,
  behaviours: BehaviourSpec[],
  o: { neighbours?: number; source?: string } = {},
): ImpressionSet {
  const K = o.neighbours ?? 6;
  const source = o.source ?? 'impressions';
  const itemId = vocabLookup(cat.vocabs.item);
  const catId = vocabLookup(cat.vocabs.category ?? makeVocabulary('category', []));
  const { seqs, index } = customerEvents(events, cat);
  const n = rows.length;
  const offs = [0],
    reqTs: number[] = [],
    reqIds: string[] = [],
    reqCustomer: number[] = [];
  const seen = new Set<string>();
  const s = {
    item: new Int32Array(n),
    position: new Int32Array(n),
    page: new Int32Array(n),
    categories: new Int32Array(n * (1 + K)),
    clicked: new Uint8Array(n),
    ordered: new Uint8Array(n),
  };
  rows.forEach((r, i) => {
    if (i === 0 || r.requestId !== rows[i - 1].requestId) {
      if (seen.has(r.requestId))
        throw new CfmError('CFM_E_ROW_SCHEMA', `request "${r.requestId}" is not contiguous`, { file: source, row: i, field: 'requestId' });
      seen.add(r.requestId);
      if (i > 0) offs.push(i);
      reqTs.push(r.ts / 1000);
      reqIds.push(r.requestId);
      reqCustomer.push(index.get(r.customerId) ?? -1);
    }
    if (!(r.position >= 1))
      throw new CfmError('CFM_E_ROW_SCHEMA', `position ${r.position} < 1`, { file: source, row: i, field: 'position' });
    s.item[i] = itemId(r.itemId);
    s.position[i] = r.position;
    s.page[i] = r.page;
    s.categories[i * (1 + K)] = cat.itemFeatures.category?.[s.item[i]] ?? PAD;
    r.neighbourCategories.slice(0, K).forEach((c, k) => (s.categories[i * (1 + K) + 1 + k] = catId(c)));
    s.clicked[i] = r.clicked ? 1 : 0;
    s.ordered[i] = r.ordered ? 1 : 0;
  });
  offs.push(n);
  const requestTs = Float64Array.from(reqTs);
  const histories = buildMultiBehaviour(prefixRows(seqs, reqCustomer, requestTs), behaviours, requestTs);
  const set: ImpressionSet = {
    offsets: Int32Array.from(offs),
    requestTs,
    requestIds: reqIds,
    histories,
    ...s,
    neighbours: K,
    dense: new Float32Array(0),
    denseNames: [],
  };
  Object.assign(set, denseFeatures(set, seqs, cat));
  return set;
}

/** One row per request: its customer's events strictly before the request time. */
function prefixRows(seqs: CustomerSequences, customer: number[], ts: Float64Array): CustomerSequences {
  const ranges = customer.map((c, r) => {
    if (c < 0) return [0, 0];
    let lo = seqs.offsets[c],
      hi = seqs.offsets[c + 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs.times[mid] < ts[r]) lo = mid + 1;
      else hi = mid;
    }
    return [seqs.offsets[c], lo];
  });
  const offsets = new Int32Array(customer.length + 1);
  ranges.forEach(([a, b], r) => (offsets[r + 1] = offsets[r] + b - a));
  const total = offsets[customer.length];
  const out = {
    customerIds: customer.map((c) => (c < 0 ? '' : seqs.customerIds[c])),
    offsets,
    items: new Int32Array(total),
    types: new Int32Array(total),
    times: new Float64Array(total),
  };
  ranges.forEach(([a, b], r) => {
    out.items.set(seqs.items.subarray(a, b), offsets[r]);
    out.types.set(seqs.types.subarray(a, b), offsets[r]);
    out.times.set(seqs.times.subarray(a, b), offsets[r]);
  });
  return out;
}
