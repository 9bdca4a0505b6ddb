/** Downstream task definitions formed from a PreparedDataset (Shin et al. 2021 §4.2.3 analogues):
 * profile classification from user labels (movielens-1m users.dat: gender, age group), targeting (will the
 * customer's next purchases include category X), next-item recommendation as (user, item) pairs; customers
 * split disjointly into train / valid / test. Histories are `data.train` sequences, so every label and
 * target lies after the history (targeting cuts its history before the window). */
import { CfmError, createRng, RESERVED_IDS, type CustomerSequences, type PreparedDataset } from '@cfm/core';

/** customer indices (into the history sequences) per part; no customer is in two parts */
export interface Split {
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

export interface ClassificationTask {
  name: string;
  kind: 'classification';
  /** how the label is formed, stated in reports */
  rule: string;
  history: CustomerSequences;
  /** customer index per example */
  rows: Int32Array;
  /** history end offset per example (exclusive) */
  ends: Int32Array;
  labels: Float32Array;
}

export interface RecommendationTask {
  name: string;
  kind: 'recommendation';
  rule: string;
  history: CustomerSequences;
  rows: Int32Array;
  ends: Int32Array;
  /** positive item per example */
  items: Int32Array;
  itemCount: number;
}

export type DownstreamTask = ClassificationTask | RecommendationTask;

/** seeded customer-disjoint split of n examples by fractions (train, valid, test) */
export function customerDisjointSplit(n: number, fractions: [number, number, number], seed: number): Split {
  const order = createRng(seed)
    .fork('downstream-split')
    .shuffle(Array.from({ length: n }, (_, i) => i));
  const a = Math.round(n * fractions[0]);
  const b = a + Math.round(n * fractions[1]);
  const part = (from: number, to: number) => Int32Array.from(order.slice(from, to)).sort();
  return { train: part(0, a), valid: part(a, b), test: part(b, n) };
}

/** binary label from a users-table field; customers without the field are left out */
export function labelTask(
  data: PreparedDataset,
  name: string,
  field: string,
  positive: (v: string | number) => boolean,
  rule: string,
): ClassificationTask {
  if (!data.userLabels) throw new CfmError('CFM_E_DATASET', `dataset ${data.dataset} has no user labels (users table)`, { field });
  const h = data.train;
  const rows: number[] = [];
  const labels: number[] = [];
  h.customerIds.forEach((id, c) => {
    const v = data.userLabels![id]?.[field];
    if (v === undefined || v === null || v === '' || h.offsets[c + 1] === h.offsets[c]) return;
    rows.push(c);
    labels.push(positive(v) ? 1 : 0);
  });
  if (!rows.length) throw new CfmError('CFM_E_DATASET', `no customer has a "${field}" label`, { field });
  const r = Int32Array.from(rows);
  return {
    name,
    kind: 'classification',
    rule,
    history: h,
    rows: r,
    ends: r.map((c) => h.offsets[c + 1]),
    labels: Float32Array.from(labels),
  };
}

/** movielens-1m gender (F = 1) and age group (35 or older = 1) */
export function profileTasks(data: PreparedDataset): ClassificationTask[] {
  return [
    labelTask(data, 'gender', 'gender', (v) => v === 'F', 'users.dat gender, F = 1, M = 0'),
    labelTask(data, 'age', 'age', (v) => Number(v) >= 35, 'users.dat age code >= 35 (35-44, 45-49, 50-55, 56+) = 1, under 35 = 0'),
  ];
}

/** feature id of each item: an item feature table, or the item id itself for 'item' */
function featureOf(data: PreparedDataset, feature: string): ArrayLike<number> {
  if (data.itemFeatures[feature]) return data.itemFeatures[feature];
  if (feature === 'item') return Int32Array.from(data.vocabs.item.tokens, (_, i) => i);
  throw new CfmError('CFM_E_CONFIG', `no item feature "${feature}" (known: item, ${Object.keys(data.itemFeatures).join(', ')})`, {
    field: 'feature',
  });
}

/** which train events count as purchases: events of type 'purchase' when the data has any, otherwise every event */
export function purchaseEvents(data: PreparedDataset): { isPurchase: (t: number) => boolean; what: string } {
  const purchase = data.vocabs.type?.tokens.indexOf('purchase') ?? -1;
  const any = purchase >= 0 && data.train.types.some((t) => t === purchase);
  return any
    ? { isPurchase: (t) => data.train.types[t] === purchase, what: 'purchases' }
    : { isPurchase: () => true, what: 'events (no purchase type in the data: every event counts)' };
}

/** the feature value most often bought in the training histories */
export function mostCommonValue(data: PreparedDataset, feature: string): string {
  const f = featureOf(data, feature);
  const { isPurchase } = purchaseEvents(data);
  const counts = new Map<number, number>();
  for (let t = 0; t < data.train.items.length; t++) {
    const v = f[data.train.items[t]];
    if (isPurchase(t) && v >= RESERVED_IDS) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let best = -1,
    n = 0;
  for (const [v, k] of counts) if (k > n || (k === n && v < best)) [best, n] = [v, k];
  if (best < 0) throw new CfmError('CFM_E_DATASET', `no purchase has a "${feature}" value`, { field: 'feature' });
  return feature === 'item' ? data.vocabs.item.tokens[best] : data.vocabs[feature].tokens[best];
}

/** will any of the customer's next `window` purchases have `feature` == `value` ('most-common': the value most often
 * bought). Per customer the window is the last `window` purchases of the training history, and the history is
 * every event before the first of them (so nothing inside the window reaches the encoder); customers with fewer
 * purchases, or no event before the window, are left out. */
export function targetingTask(data: PreparedDataset, feature: string, value: string, window = 10): ClassificationTask {
  if (!(Number.isInteger(window) && window >= 1))
    throw new CfmError('CFM_E_CONFIG', `window must be a whole number >= 1, got ${window}`, { field: 'window' });
  const f = featureOf(data, feature);
  const name = value === 'most-common' ? mostCommonValue(data, feature) : value;
  const vocab = feature === 'item' ? data.vocabs.item : data.vocabs[feature];
  const id = vocab?.tokens.indexOf(name) ?? -1;
  if (id < RESERVED_IDS) throw new CfmError('CFM_E_CONFIG', `no "${name}" in vocabulary ${feature}`, { field: 'value' });
  const h = data.train;
  const { isPurchase, what } = purchaseEvents(data);
  const rows: number[] = [],
    ends: number[] = [],
    labels: number[] = [];
  for (let c = 0; c < h.customerIds.length; c++) {
    let seen = 0,
      hit = 0,
      end = h.offsets[c + 1];
    for (let t = h.offsets[c + 1] - 1; t >= h.offsets[c] && seen < window; t--) {
      if (!isPurchase(t)) continue;
      seen++;
      end = t;
      if (f[h.items[t]] === id) hit = 1;
    }
    if (seen < window || end - h.offsets[c] < 1) continue;
    rows.push(c);
    ends.push(end);
    labels.push(hit);
  }
  const rule = `any of the customer's last ${window} ${what} has ${feature} = ${name}${value === 'most-common' ? ' (the most bought value)' : ''}; history = every event before them`;
  return {
    name: `targeting-${feature}-${name}`,
    kind: 'classification',
    rule,
    history: h,
    rows: Int32Array.from(rows),
    ends: Int32Array.from(ends),
    labels: Float32Array.from(labels),
  };
}

/** next-item recommendation: history = train sequence, positive = the customer's next item (valid target) */
export function nextItemTask(data: PreparedDataset): RecommendationTask {
  const h = data.train;
  const index = new Map(h.customerIds.map((id, c) => [id, c]));
  const rows: number[] = [],
    items: number[] = [];
  data.valid.history.customerIds.forEach((id, i) => {
    const c = index.get(id);
    if (c === undefined || h.offsets[c + 1] === h.offsets[c]) return;
    rows.push(c);
    items.push(data.valid.targets[i]);
  });
  const r = Int32Array.from(rows);
  return {
    name: 'next-item',
    kind: 'recommendation',
    rule: 'positive = the item after the pre-training history (LOO valid target); 100 random negatives at test',
    history: h,
    rows: r,
    ends: r.map((c) => h.offsets[c + 1]),
    items: Int32Array.from(items),
    itemCount: data.vocabs.item.tokens.length,
  };
}
