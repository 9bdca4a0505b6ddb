import { OOV, RESERVED_IDS, RESERVED_TOKENS, EVENT_TYPES, sha256, type Vocabulary } from '@cfm/core';

export function vocabularyHash(tokens: string[]): string {
  return sha256(JSON.stringify(tokens)).slice(0, 16);
}

export function makeVocabulary(name: string, tokens: string[]): Vocabulary {
  const all = [...RESERVED_TOKENS, ...tokens];
  return { name, tokens: all, hash: vocabularyHash(all) };
}

/**
 * Vocabulary from token counts: tokens with count >= minCount, most frequent first, ties by token
 * (so ids are stable across reruns of the same data). Ids start at RESERVED_IDS.
 */
export function vocabularyFromCounts(name: string, counts: Map<string, number>, minCount = 1): Vocabulary {
  const kept = [...counts.entries()].filter(([, n]) => n >= minCount);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return makeVocabulary(
    name,
    kept.map(([t]) => t),
  );
}

/** The fixed event-type vocabulary: [PAD] [MASK] [CLS] [OOV] view click cart purchase favourite high_value. */
export const TYPE_VOCAB: Vocabulary = makeVocabulary('type', [...EVENT_TYPES]);

export function typeId(type: string): number {
  const i = TYPE_VOCAB.tokens.indexOf(type);
  return i < RESERVED_IDS ? OOV : i;
}

/** token → id lookup for a vocabulary (OOV for unknown). */
export function vocabLookup(v: Vocabulary): (token: string | null | undefined) => number {
  const m = new Map(v.tokens.map((t, i) => [t, i]));
  return (t) => (t === null || t === undefined ? OOV : (m.get(t) ?? OOV));
}

/**
 * Item vocabulary from raw item indices: counts the rows in the given ranges,
 * returns the vocabulary and a raw-index → vocab-id map (OOV for rare or unseen items).
 */
export function itemVocabulary(
  itemKeys: string[],
  item: Int32Array,
  ranges: Array<{ start: Int32Array; end: Int32Array }>,
  minCount: number,
): { vocab: Vocabulary; rawToId: Int32Array; counts: Int32Array } {
  const counts = new Int32Array(itemKeys.length);
  for (const r of ranges) for (let k = 0; k < r.start.length; k++) for (let i = r.start[k]; i < r.end[k]; i++) counts[item[i]]++;
  return itemVocabularyFromCounts(itemKeys, counts, minCount);
}

/** The item vocabulary of counts per raw item index (`itemKeys` sorted; itemVocabulary after its counting). */
export function itemVocabularyFromCounts(
  itemKeys: string[],
  counts: Int32Array,
  minCount: number,
): { vocab: Vocabulary; rawToId: Int32Array; counts: Int32Array } {
  // itemKeys are sorted, so ties by raw index = ties by token
  const order = byCountDesc(counts, minCount);
  const rawToId = new Int32Array(itemKeys.length).fill(OOV);
  const tokens = new Array<string>(order.length);
  for (let k = 0, first = RESERVED_IDS; k < order.length; k++) {
    rawToId[order[k]] = first + k;
    tokens[k] = itemKeys[order[k]];
  }
  return { vocab: makeVocabulary('item', tokens), rawToId, counts };
}

/**
 * The indices i with counts[i] >= minCount, most frequent first, ties by index. Each is packed into one exact double
 * (max - count) * n + i and the doubles sorted natively (~10x faster than a comparator sort of 50k items); a
 * comparator sort only where the packed key could exceed 2^53.
 */
export function byCountDesc(counts: Int32Array, minCount: number): Int32Array {
  const n = counts.length;
  let max = 0,
    m = 0;
  for (let i = 0; i < n; i++) {
    if (counts[i] > max) max = counts[i];
    if (counts[i] >= minCount) m++;
  }
  const out = new Int32Array(m);
  for (let i = 0, k = 0; i < n; i++) if (counts[i] >= minCount) out[k++] = i;
  if ((max + 1) * n > Number.MAX_SAFE_INTEGER) return out.sort((a, b) => counts[b] - counts[a] || a - b);
  const keys = new Float64Array(m);
  for (let k = 0; k < m; k++) keys[k] = (max - counts[out[k]]) * n + out[k];
  keys.sort();
  for (let k = 0; k < m; k++) out[k] = keys[k] % n;
  return out;
}
