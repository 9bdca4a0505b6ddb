/** Text vectors for the product embedding's f_text input (Eq. 1). The paper embeds product descriptions
 * with Sentence-BERT (768-d); no model is downloaded here, so when a dataset has no vectors the fallback is
 * a hashed bag of words: lower-cased word tokens and word bigrams, each hashed (FNV-1a) to one of `dim`
 * buckets with a hashed sign (Weinberger et al. 2009), the counts L2-normalised. Deterministic. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError, type Vocabulary } from '@cfm/core';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryRows, withConnection } from '@cfm/data';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** one title → [dim] unit vector (zeros for an empty title) */
export function hashedBagOfWords(text: string, dim: number): Float32Array {
  const v = new Float32Array(dim);
  const w = words(text);
  const grams = [...w, ...w.slice(1).map((x, i) => `${w[i]}_${x}`)];
  for (const g of grams) {
    const h = fnv1a(g);
    v[h % dim] += h & 0x80000000 ? -1 : 1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm > 0) for (let i = 0; i < dim; i++) v[i] /= Math.sqrt(norm);
  return v;
}

/** [V, dim] row-major: row = item id; reserved ids and items without a title are zero rows */
export function titleVectors(titles: Array<string | null | undefined>, dim: number): Float32Array {
  const out = new Float32Array(titles.length * dim);
  titles.forEach((t, id) => t && out.set(hashedBagOfWords(t, dim), id * dim));
  return out;
}

/** titles by item id from a prepared directory's catalog (`catalog.duckdb`, table items) */
export async function loadItemTitles(preparedDir: string, itemVocab: Vocabulary): Promise<Array<string | null>> {
  const file = join(preparedDir, 'catalog.duckdb');
  if (!existsSync(file)) throw new CfmError('CFM_E_FILE', 'no catalog.duckdb in the prepared directory', { file });
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' }); // several readers at once
  try {
    const rows = await withConnection(db, (c) => queryRows(c, 'SELECT item_id, title FROM items WHERE title IS NOT NULL'));
    const byId = new Map(rows.map((r) => [String(r.item_id), String(r.title)]));
    return itemVocab.tokens.map((t, id) => (id < 4 ? null : (byId.get(t) ?? null)));
  } finally {
    db.closeSync();
  }
}
