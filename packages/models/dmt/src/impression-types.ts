/** The shapes of DMT's impression data (built by impressions.ts, read by the features, batches and the model). */
import type { CustomerSequences, Vocabularies } from '@cfm/core';

/** One logged impression (the simulator's `Impression` rows have this shape). */
export interface ImpressionRow {
  requestId: string;
  customerId: string;
  /** request time, epoch ms */
  ts: number;
  itemId: string;
  /** 1-based list position */
  position: number;
  page: number;
  /** leaf categories of the nearest list neighbours, nearest first */
  neighbourCategories: string[];
  clicked: boolean;
  ordered: boolean;
}

/** Item vocabulary and per-item feature ids (category = leaf category, brand, shop = product line). */
export interface Catalogue {
  vocabs: Vocabularies;
  itemFeatures: Record<string, Int32Array>;
}

export interface ImpressionSet {
  /** [R + 1]: request r owns impressions offsets[r] .. offsets[r + 1] - 1 */
  offsets: Int32Array;
  /** [R] epoch seconds */
  requestTs: Float64Array;
  requestIds: string[];
  /** per behaviour, one row per request: the customer's events strictly before the request */
  histories: Record<string, CustomerSequences>;
  /** [N] target item id */
  item: Int32Array;
  position: Int32Array;
  page: Int32Array;
  /** [N, 1 + K] category ids of the target and its K nearest neighbours (PAD where fewer) */
  categories: Int32Array;
  neighbours: number;
  clicked: Uint8Array;
  ordered: Uint8Array;
  /** [N, F] raw dense features (z-scored by the model with training statistics) */
  dense: Float32Array;
  denseNames: string[];
}
