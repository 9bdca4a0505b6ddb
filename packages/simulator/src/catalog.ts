import type { Rng } from '@cfm/core';
import type { SimConfig } from './config';
import { cumulative, normalizeRow, sampleCdf, skewedRank } from './math';
import { distinctWords } from './names';

/** Per-level standard deviation added to a category node's latent vector below its parent. */
const LEVEL_SD = [1, 0.6, 0.45, 0.35];
const BRAND_SD = 0.4;
const ITEM_SD = 0.35;
const TITLE_WORDS_PER_LEAF = 6;

/** The catalogue in typed arrays: items are sorted by leaf, and by popularity rank inside a leaf. */
export interface Catalog {
  d: number;
  /** nodes per level, and each node's parent index in the level above */
  levelSizes: number[];
  parents: Int32Array[];
  nodeNames: string[][];
  nodeVectors: Float32Array[];
  leafCount: number;
  /** leaf popularity CDF (explore sessions, customer interests) */
  leafCdf: Float64Array;
  leafStart: Int32Array;
  leafSize: Int32Array;
  leafMedianPrice: Float64Array;
  leafWords: string[][];
  brandNames: string[];
  brandVectors: Float32Array;
  brandPremium: Float64Array;
  /** brands of each top-level category, most popular first */
  brandsOfTop: number[][];
  /** per item */
  itemLeaf: Int32Array;
  itemBrand: Int32Array;
  itemPrice: Float64Array;
  itemVectors: Float32Array;
  /** unit-length copies of itemVectors: affinity = dot(customer unit vector, itemUnit) */
  itemUnit: Float32Array;
  itemTitle: string[];
  /** leaf ancestor at each level: ancestors[level][leaf] */
  ancestors: Int32Array[];
}

export function buildCatalog(config: SimConfig, rng: Rng): Catalog {
  const d = config.latentDim;
  const tree = config.categoryTree;
  const taken = new Set<string>();
  const levelSizes: number[] = [];
  const parents: Int32Array[] = [];
  const nodeVectors: Float32Array[] = [];
  const nodeNames: string[][] = [];
  for (let l = 0, size = 1; l < tree.length; l++) {
    size *= tree[l];
    levelSizes.push(size);
    const parent = Int32Array.from({ length: size }, (_, i) => Math.floor(i / tree[l]));
    const vec = new Float32Array(size * d);
    for (let i = 0; i < size; i++)
      for (let k = 0; k < d; k++) vec[i * d + k] = (l > 0 ? nodeVectors[l - 1][parent[i] * d + k] : 0) + LEVEL_SD[l] * rng.normal();
    parents.push(parent);
    nodeVectors.push(vec);
    nodeNames.push(distinctWords(rng, size, taken));
  }
  const L = tree.length - 1;
  const leafCount = levelSizes[L];
  const ancestors = tree.map((_, l) =>
    Int32Array.from({ length: leafCount }, (_, leaf) => {
      let node = leaf;
      for (let k = L; k > l; k--) node = parents[k][node];
      return node;
    }),
  );
  const leafWeight = Float64Array.from({ length: leafCount }, () => Math.exp(0.8 * rng.normal()));
  const leafCdf = cumulative(leafWeight);
  const leafMedianPrice = Float64Array.from({ length: leafCount }, () => Math.exp(3.3 + 0.9 * rng.normal()));
  const leafWords = Array.from({ length: leafCount }, () => distinctWords(rng, TITLE_WORDS_PER_LEAF, taken));

  const nBrands = config.brands;
  const brandNames = distinctWords(rng, nBrands, taken).map((w) => w[0].toUpperCase() + w.slice(1));
  const brandVectors = Float32Array.from({ length: nBrands * d }, () => BRAND_SD * rng.normal());
  const brandPremium = Float64Array.from({ length: nBrands }, () => Math.exp(0.3 * rng.normal()));
  // brands live under one top-level category each
  const top = levelSizes[0];
  const brandsOfTop: number[][] = Array.from({ length: top }, () => []);
  for (let b = 0; b < nBrands; b++) brandsOfTop[b % top].push(b);

  // every leaf gets one item, the rest follow leaf popularity
  const n = config.items;
  const leafOf = new Int32Array(n);
  for (let i = 0; i < n; i++) leafOf[i] = i < leafCount ? i : sampleCdf(leafCdf, rng.next());
  leafOf.sort();
  const leafStart = new Int32Array(leafCount).fill(-1);
  const leafSize = new Int32Array(leafCount);
  for (let i = 0; i < n; i++) {
    if (leafStart[leafOf[i]] < 0) leafStart[leafOf[i]] = i;
    leafSize[leafOf[i]]++;
  }
  const itemBrand = new Int32Array(n);
  const itemPrice = new Float64Array(n);
  const itemVectors = new Float32Array(n * d);
  const itemTitle: string[] = new Array(n);
  const leafVec = nodeVectors[L];
  for (let i = 0; i < n; i++) {
    const leaf = leafOf[i];
    const pool = brandsOfTop[ancestors[0][leaf]];
    const b = pool.length ? pool[skewedRank(rng, pool.length, 1)] : rng.int(nBrands);
    itemBrand[i] = b;
    for (let k = 0; k < d; k++) itemVectors[i * d + k] = leafVec[leaf * d + k] + brandVectors[b * d + k] + ITEM_SD * rng.normal();
    itemPrice[i] = Math.round(100 * leafMedianPrice[leaf] * brandPremium[b] * Math.exp(0.25 * rng.normal())) / 100 || 0.01;
    const words = leafWords[leaf];
    itemTitle[i] = `${brandNames[b]} ${nodeNames[L][leaf]} ${words[rng.int(words.length)]} ${words[rng.int(words.length)]}`;
  }
  const itemUnit = itemVectors.slice();
  for (let i = 0; i < n; i++) normalizeRow(itemUnit, i, d);
  return {
    d,
    levelSizes,
    parents,
    nodeNames,
    nodeVectors,
    leafCount,
    leafCdf,
    leafStart,
    leafSize,
    leafMedianPrice,
    leafWords,
    brandNames,
    brandVectors,
    brandPremium,
    brandsOfTop,
    itemLeaf: leafOf,
    itemBrand,
    itemPrice,
    itemVectors,
    itemUnit,
    itemTitle,
    ancestors,
  };
}

/** Category path of an item, most general first (category_1 … category_n). */
export function itemCategories(cat: Catalog, item: number): string[] {
  const leaf = cat.itemLeaf[item];
  return cat.ancestors.map((anc, l) => cat.nodeNames[l][anc[leaf]]);
}

/** Product line = the level-2 category (or level 1 when the tree has one level). */
export function productLineOfLeaf(cat: Catalog, leaf: number): number {
  return cat.ancestors[Math.min(1, cat.ancestors.length - 1)][leaf];
}

export function productLineName(cat: Catalog, line: number): string {
  const l = Math.min(1, cat.ancestors.length - 1);
  return l === 0 ? cat.nodeNames[0][line] : `${cat.nodeNames[0][cat.parents[1][line]]}/${cat.nodeNames[1][line]}`;
}
