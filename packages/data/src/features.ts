import type { DuckDBConnection } from '@duckdb/node-api';
import { OOV, PAD, RESERVED_IDS, type Vocabularies, type Vocabulary } from '@cfm/core';
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
function priceBuckets(prices: ArrayLike<number>, buckets: number): { vocab: Vocabulary; bucketOf: (p: number) => number; edges: number[] } {
  let m = 0;
  for (let i = 0; i < prices.length; i++) if (Number.isFinite(prices[i])) m++;
  const sorted = new Float64Array(m);
  for (let i = 0, k = 0; i < prices.length; i++) if (Number.isFinite(prices[i])) sorted[k++] = prices[i];
  sorted.sort();
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

/** The catalogue as integer codes per raw item (`item_keys` order): distinct values, codes (-1 = none) and price. */
export interface ItemCatalogCodes {
  /** per attribute column (ITEM_FEATURES order): distinct values, sorted; a code indexes this list */
  values: string[][];
  /** per attribute column: code of each raw item's value, -1 when it has none */
  codes: Int32Array[];
  /** catalogue price of each raw item, NaN when none */
  price: Float64Array;
}

/**
 * Read the catalogue's attributes for the raw items (`item_keys`): DuckDB gives each value a dense code and each raw
 * item its codes and price. Depends only on the ingest (not on the item vocabulary), so it can run on another
 * connection while the sequences are built.
 */
export async function readItemCatalogCodes(conn: DuckDBConnection, nRaw?: number, withItems?: boolean): Promise<ItemCatalogCodes> {
  // (one round trip less when the caller knows both)
  let hasItems = withItems;
  if (nRaw === undefined || hasItems === undefined) {
    const [r] = await queryRows(
      conn,
      `SELECT (SELECT count(*) FROM item_keys) AS n, (SELECT count(*) FROM duckdb_tables() WHERE table_name = 'items') AS hasItems`,
    );
    nRaw ??= r.n as number;
    hasItems ??= (r.hasItems as number) > 0;
  }
  const cols = Object.values(ITEM_FEATURES);
  if (!hasItems)
    return {
      values: cols.map(() => []),
      codes: cols.map(() => new Int32Array(nRaw).fill(-1)),
      price: new Float64Array(nRaw).fill(Number.NaN),
    };
  const dict = (c: string) =>
    `(SELECT ${c} AS v, (row_number() OVER (ORDER BY ${c}) - 1)::INTEGER AS code FROM (SELECT DISTINCT ${c} FROM items WHERE ${c} IS NOT NULL))`;
  // every column's distinct values in one round trip (a side connection's query waits for an event-loop turn of this
  // thread to finish and to start the next one, and the sequence stages give few: one query instead of six)
  const sep = '\x1f';
  const [row] = await queryRows(
    conn,
    `SELECT ${cols.map((c, k) => `(SELECT string_agg(v, chr(31) ORDER BY code) FROM ${dict(c)}) AS v${k}, (SELECT coalesce(bool_or(contains(${c}, chr(31))), false) FROM items) AS bad${k}`).join(', ')}`,
  );
  const values: string[][] = [];
  for (const [k, c] of cols.entries())
    values.push(
      row[`bad${k}`]
        ? (await readStringColumns(conn, dict(c), ['v'], 'code'))[0]
        : row[`v${k}`] === null
          ? []
          : String(row[`v${k}`]).split(sep),
    );
  const joins = cols.map((c, k) => `LEFT JOIN ${dict(c)} d${k} ON d${k}.v = i.${c}`).join(' ');
  const out = await readColumns(
    conn,
    `SELECT ${cols.map((_, k) => `coalesce(d${k}.code, -1)`).join(', ')}, coalesce(i.price, 'NaN'::DOUBLE)
     FROM item_keys k LEFT JOIN items i USING (item_id) ${joins} ORDER BY k.iix`,
    [...cols.map(() => 'int32' as const), 'float64'],
    nRaw,
    true,
  );
  return { values, codes: out.slice(0, cols.length) as Int32Array[], price: out[cols.length] as Float64Array };
}

/**
 * Vocabularies of item attributes (category levels, product line, brand, price bucket) over the items of
 * the item vocabulary, and per-item attribute ids indexed by item id ([PAD] for reserved ids, [OOV] when unknown).
 * The counting and lookups run on the integer codes of readItemCatalogCodes (read here unless given); only the
 * distinct values are strings.
 */
export async function buildItemFeatures(
  conn: DuckDBConnection,
  itemVocab: Vocabulary,
  rawToId: Int32Array,
  minCount: number,
  buckets: number,
  catalog?: ItemCatalogCodes | Promise<ItemCatalogCodes>,
): Promise<{ vocabs: Vocabularies; itemFeatures: Record<string, Int32Array>; priceEdges: number[] }> {
  const n = itemVocab.tokens.length;
  // raw item index of each vocabulary id (-1 for reserved ids)
  const rawOf = new Int32Array(n).fill(-1);
  for (let r = 0; r < rawToId.length; r++) if (rawToId[r] >= RESERVED_IDS) rawOf[rawToId[r]] = r;
  const { values, codes, price } = await (catalog ?? readItemCatalogCodes(conn, rawToId.length));
  const vocabs: Vocabularies = {};
  const itemFeatures: Record<string, Int32Array> = {};
  // (the ids as locals: the imported bindings are property reads, in loops over every item)
  const first = RESERVED_IDS,
    pad = PAD,
    oov = OOV;
  Object.keys(ITEM_FEATURES).forEach((name, k) => {
    const code = codes[k];
    const counts = new Int32Array(values[k].length);
    for (let id = first; id < n; id++) if (code[rawOf[id]] >= 0) counts[code[rawOf[id]]]++;
    const byValue = new Map<string, number>();
    counts.forEach((c, v) => c > 0 && byValue.set(values[k][v], c));
    const vocab = vocabularyFromCounts(name, byValue, minCount);
    const lookup = vocabLookup(vocab);
    const idOfCode = Int32Array.from(values[k], (v) => lookup(v));
    vocabs[name] = vocab;
    const ids = new Int32Array(n).fill(pad);
    for (let id = first; id < n; id++) {
      const c = code[rawOf[id]];
      ids[id] = c >= 0 ? idOfCode[c] : oov;
    }
    itemFeatures[name] = ids;
  });
  const prices = new Float64Array(n);
  for (let id = 0; id < n; id++) prices[id] = rawOf[id] < 0 ? Number.NaN : price[rawOf[id]];
  const pb = priceBuckets(prices, buckets);
  vocabs.priceBucket = pb.vocab;
  const bucket = new Int32Array(n);
  for (let id = 0; id < n; id++) bucket[id] = id < first ? pad : Number.isFinite(prices[id]) ? pb.bucketOf(prices[id]) : oov;
  itemFeatures.priceBucket = bucket;
  return { vocabs, itemFeatures, priceEdges: pb.edges };
}
