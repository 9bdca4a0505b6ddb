import { join } from 'node:path';
import { createRng } from '@cfm/core';
import type { Item } from '@cfm/core';
import { itemCategories, productLineName, productLineOfLeaf, type Catalog } from './catalog';
import type { SimConfig } from './config';
import { TextFile, type FileStats } from './csv-file';

export const ITEM_COLUMNS = 'item_id,category_1,category_2,category_3,category_4,product_line,brand,price,title';

/**
 * Dense "title/description" vectors: a fixed random projection of the item's latent vector plus noise,
 * so items close in latent space (same leaf / brand) have close text vectors (MeLi attribute embeddings).
 * Calls must go through items in index order (the noise stream is sequential).
 */
export function textVectorizer(cat: Catalog, config: SimConfig): (item: number) => number[] {
  const root = createRng(config.seed);
  const proj = root.fork('text-projection');
  const noise = root.fork('text-noise');
  const { d } = cat;
  const m = config.textDim;
  const W = Float64Array.from({ length: m * d }, () => proj.normal() / Math.sqrt(d));
  return (item) => {
    const out = new Array<number>(m);
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += W[r * d + k] * cat.itemVectors[item * d + k];
      out[r] = Math.round((s + config.textNoise * noise.normal()) * 1e4) / 1e4;
    }
    return out;
  };
}

/** The catalogue as contract Items (small runs). */
export function catalogItems(cat: Catalog, config: SimConfig): Item[] {
  const text = config.outputs.itemText ? textVectorizer(cat, config) : undefined;
  return Array.from(cat.itemLeaf, (leaf, i) => ({
    itemId: `i${i}`,
    categories: itemCategories(cat, i),
    productLine: productLineName(cat, productLineOfLeaf(cat, leaf)),
    brand: cat.brandNames[cat.itemBrand[i]],
    price: cat.itemPrice[i],
    title: cat.itemTitle[i],
    ...(text ? { textEmbedding: text(i) } : {}),
  }));
}

/** items.csv (+ items_text.jsonl). */
export function writeItems(cat: Catalog, config: SimConfig, dir: string): Record<string, FileStats> {
  const hash = config.outputs.sha256;
  const csv = new TextFile(join(dir, 'items.csv'), ITEM_COLUMNS, hash);
  const jsonl = config.outputs.itemText ? new TextFile(join(dir, 'items_text.jsonl'), null, hash) : undefined;
  const text = jsonl ? textVectorizer(cat, config) : undefined;
  try {
    for (let i = 0; i < cat.itemLeaf.length; i++) {
      const leaf = cat.itemLeaf[i];
      const cats = itemCategories(cat, i);
      while (cats.length < 4) cats.push('');
      const line = productLineName(cat, productLineOfLeaf(cat, leaf));
      csv.line(`i${i},${cats.join(',')},${line},${cat.brandNames[cat.itemBrand[i]]},${cat.itemPrice[i].toFixed(2)},${cat.itemTitle[i]}`);
      if (jsonl && text) jsonl.line(`{"item_id":"i${i}","text_vector":[${text(i).join(',')}]}`);
    }
  } catch (e) {
    csv.abort();
    jsonl?.abort();
    throw e;
  }
  return { 'items.csv': csv.close(), ...(jsonl ? { 'items_text.jsonl': jsonl.close() } : {}) };
}
