/** Dense features of each impression, all computed from data strictly before its request time:
 * per behaviour the history length, the share of the history in the target's category and the
 * target item's count in it; the item's and its category's event counts so far; the share of
 * the click history in the target's brand. Raw values (log1p counts); the model z-scores them. */
import type { CustomerSequences } from '@cfm/core';
import type { Catalogue, ImpressionSet } from './impression-types';

type SetCore = Pick<ImpressionSet, 'offsets' | 'requestTs' | 'histories' | 'item'>;

export function denseFeatures(set: SetCore, all: CustomerSequences, cat: Catalogue): { dense: Float32Array; denseNames: string[] } {
  const behaviours = Object.keys(set.histories);
  const names = [
    ...behaviours.flatMap((b) => [`${b}_len`, `${b}_same_category`, `${b}_same_item`]),
    'item_popularity',
    'category_popularity',
    'brand_share',
  ];
  const F = names.length;
  const n = set.item.length;
  const R = set.offsets.length - 1;
  const dense = new Float32Array(n * F);
  const category = cat.itemFeatures.category;
  const brand = cat.itemFeatures.brand;
  const { itemCount, categoryCount } = popularityAsOf(set, all, category);
  for (let r = 0; r < R; r++) {
    behaviours.forEach((b, bi) => {
      const h = set.histories[b];
      const from = h.offsets[r],
        to = h.offsets[r + 1];
      const len = to - from;
      for (let i = set.offsets[r]; i < set.offsets[r + 1]; i++) {
        const it = set.item[i];
        let sameCat = 0,
          sameItem = 0;
        for (let t = from; t < to; t++) {
          if (h.items[t] === it) sameItem++;
          if (category && category[h.items[t]] === category[it]) sameCat++;
        }
        dense[i * F + 3 * bi] = Math.log1p(len);
        dense[i * F + 3 * bi + 1] = len ? sameCat / len : 0;
        dense[i * F + 3 * bi + 2] = Math.log1p(sameItem);
      }
    });
    const h = set.histories[behaviours[0]];
    for (let i = set.offsets[r]; i < set.offsets[r + 1]; i++) {
      let sameBrand = 0;
      for (let t = h.offsets[r]; t < h.offsets[r + 1]; t++) if (brand && brand[h.items[t]] === brand[set.item[i]]) sameBrand++;
      const len = h.offsets[r + 1] - h.offsets[r];
      dense[i * F + F - 3] = Math.log1p(itemCount[i]);
      dense[i * F + F - 2] = Math.log1p(categoryCount[i]);
      dense[i * F + F - 1] = len ? sameBrand / len : 0;
    }
  }
  return { dense, denseNames: names };
}

/** events of every customer on the impression's item / category strictly before its request time */
function popularityAsOf(
  set: SetCore,
  all: CustomerSequences,
  category?: Int32Array,
): { itemCount: Float64Array; categoryCount: Float64Array } {
  const order = Array.from(all.times.keys()).sort((a, b) => all.times[a] - all.times[b]);
  const reqs = Array.from(set.requestTs.keys()).sort((a, b) => set.requestTs[a] - set.requestTs[b]);
  const items = new Map<number, number>();
  const cats = new Map<number, number>();
  const itemCount = new Float64Array(set.item.length);
  const categoryCount = new Float64Array(set.item.length);
  let e = 0;
  for (const r of reqs) {
    for (; e < order.length && all.times[order[e]] < set.requestTs[r]; e++) {
      const it = all.items[order[e]];
      items.set(it, (items.get(it) ?? 0) + 1);
      if (category) cats.set(category[it], (cats.get(category[it]) ?? 0) + 1);
    }
    for (let i = set.offsets[r]; i < set.offsets[r + 1]; i++) {
      itemCount[i] = items.get(set.item[i]) ?? 0;
      categoryCount[i] = category ? (cats.get(category[set.item[i]]) ?? 0) : 0;
    }
  }
  return { itemCount, categoryCount };
}
