import type { DuckDBConnection } from '@duckdb/node-api';
import { PAD, type Vocabularies, type Vocabulary } from '@cfm/core';
import { queryRows, readColumns, readStringColumns } from './db';
import { makeVocabulary, vocabLookup, vocabularyFromCounts } from './vocab';

/** Item attribute vocabularies and their catalogue columns. */
export const ITEM_FEATURES = {
  category1: 'category_1',
  category2: 'category_2',
  category3: 'category_3',
  category4: 'category_4',
  productLine: 'product_line',
  brand: 'brand',
} as const;

/** Price bucket tokens p00.. by quantile of the catalogue price over the vocabulary's items. */
function priceBuckets(prices: number[], buckets: number): { vocab: Vocabulary; bucketOf: (p: number) => number; edges: number[] } {
  const sorted = prices.filter((p) => Number.isFinite(p)).sort((a, b) => a - b);
  const edges: number[] = [];
  for (let b = 1; b < buckets; b++) if (sorted.length) edges.push(sorted[Math.floor((b * sorted.length) / buckets)]);
  const tokens = Array.from({ length: buckets }, (_, b) => `p${String(b).padStart(2, '0')}`);
  const vocab = makeVocabulary('priceBucket', tokens);
  const bucketOf = (p: number) => {
    let b = 0;
    while (b < edges.length && p >= edges[b]) b++;
    return 4 + b;
  };
  return { vocab, bucketOf, edges };
}

/**
 * Vocabularies of item attributes (category levels, product line, brand, price bucket) over the items of
 * the item vocabulary, and per-item attribute ids indexed by item id ([PAD] for reserved ids, [OOV] when unknown).
 */
export async function buildItemFeatures(
  conn: DuckDBConnection,
  itemVocab: Vocabulary,
  minCount: number,
  buckets: number,
): Promise<{ vocabs: Vocabularies; itemFeatures: Record<string, Int32Array>; priceEdges: number[] }> {
  const hasItems = (await queryRows(conn, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'items'`))[0].n as number;
  const n = itemVocab.tokens.length;
  // catalogue columns read as whole columns (no per-row objects; NULL reads as '', and ingest stores no empty
  // attribute), then looked up by vocabulary token
  const cols = Object.values(ITEM_FEATURES);
  let table: { ids: string[]; attr: Record<string, string[]>; price: Float64Array } = { ids: [], attr: {}, price: new Float64Array(0) };
  if (hasItems) {
    const text = await readStringColumns(conn, 'items', ['item_id', ...cols], 'item_id');
    const [price] = (await readColumns(conn, `SELECT coalesce(price, 'NaN'::DOUBLE) FROM items ORDER BY item_id`, ['float64'])) as [Float64Array];
    table = { ids: text[0], attr: Object.fromEntries(cols.map((c, k) => [c, text[k + 1]])), price };
  }
  const rowOf = new Map<string, number>();
  for (let r = 0; r < table.ids.length; r++) rowOf.set(table.ids[r], r);
  const rowIdx = Int32Array.from(itemVocab.tokens, (t, id) => (id < 4 ? -1 : (rowOf.get(t) ?? -1)));
  const vocabs: Vocabularies = {};
  const itemFeatures: Record<string, Int32Array> = {};
  for (const [name, col] of Object.entries(ITEM_FEATURES)) {
    const values = table.attr[col];
    const counts = new Map<string, number>();
    for (let id = 4; id < n; id++) {
      const r = rowIdx[id];
      if (r >= 0 && values[r] !== '') counts.set(values[r], (counts.get(values[r]) ?? 0) + 1);
    }
    const vocab = vocabularyFromCounts(name, counts, minCount);
    const lookup = vocabLookup(vocab);
    vocabs[name] = vocab;
    const ids = new Int32Array(n).fill(PAD);
    for (let id = 4; id < n; id++) ids[id] = lookup(rowIdx[id] < 0 || values[rowIdx[id]] === '' ? null : values[rowIdx[id]]);
    itemFeatures[name] = ids;
  }
  const prices = Array.from(rowIdx, (r) => (r < 0 ? Number.NaN : table.price[r]));
  const pb = priceBuckets(prices.filter((p) => Number.isFinite(p)), buckets);
  vocabs.priceBucket = pb.vocab;
  itemFeatures.priceBucket = Int32Array.from(prices, (p, id) => (id < 4 ? PAD : Number.isFinite(p) ? pb.bucketOf(p) : 3));
  if (itemFeatures.priceBucket.length !== n) throw new Error('feature length mismatch');
  return { vocabs, itemFeatures, priceEdges: pb.edges };
}
