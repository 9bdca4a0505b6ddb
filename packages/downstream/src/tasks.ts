/** Downstream task definitions formed from a PreparedDataset (Shin et al. 2021 §4.2.3 analogues):
 * profile classification from user labels (movielens-1m users.dat: gender, age group), targeting (will the
 * customer's next purchases include category X), next-item recommendation as (user, item) pairs; customers
 * split disjointly into train / valid / test. Histories are `data.train` sequences, so every label and
 * target lies after the history (targeting cuts its history before the window). */
import { CfmError, createRng, type CustomerSequences, type PreparedDataset } from '@cfm/core';

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
  const order = createRng(seed).fork('downstream-split').shuffle(Array.from({ length: n }, (_, i) => i));
  const a = Math.round(n * fractions[0]);
  const b = a + Math.round(n * fractions[1]);
  const part = (from: number, to: number) => Int32Array.from(order.slice(from, to)).sort();
  return { train: part(0, a), valid: part(a, b), test: part(b, n) };
}

/** binary label from a users-table field; customers without the field are left out */
export function labelTask(data: PreparedDataset, name: string, field: string, positive: (v: string | number) => boolean, rule: string): ClassificationTask {
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
  return { name, kind: 'classification', rule, history: h, rows: r, ends: r.map((c) => h.offsets[c + 1]), labels: Float32Array.from(labels) };
}

/** movielens-1m gender (F = 1) and age group (35 or older = 1) */
export function profileTasks(data: PreparedDataset): ClassificationTask[] {
  return [
    labelTask(data, 'gender', 'gender', (v) => v === 'F', 'users.dat gender, F = 1, M = 0'),
    labelTask(data, 'age', 'age', (v) => Number(v) >= 35, 'users.dat age code >= 35 (35-44, 45-49, 50-55, 56+) = 1, under 35 = 0'),
  ];
}

/** will any of the customer's next `window` purchases have `feature` == `value`; history = everything before the window */
export function targetingTask(data: PreparedDataset, feature: string, value: string, window = 10): ClassificationTask {
  const vocab = data.vocabs[feature];
  const id = vocab?.tokens.indexOf(value) ?? -1;
  if (id < 0) throw new CfmError('CFM_E_CONFIG', `no "${value}" in vocabulary ${feature}`, { field: feature });
  const h = data.train;
  const f = data.itemFeatures[feature];
  const rows: number[] = [], ends: number[] = [], labels: number[] = [];
  for (let c = 0; c < h.customerIds.length; c++) {
    const end = h.offsets[c + 1] - window;
    if (end - h.offsets[c] < 1) continue;
    let hit = 0;
    for (let t = end; t < h.offsets[c + 1]; t++) if (f[h.items[t]] === id) hit = 1;
    rows.push(c), ends.push(end), labels.push(hit);
  }
  return { name: `targeting-${feature}-${value}`, kind: 'classification', rule: `any of the next ${window} purchases has ${feature} = ${value}`, history: h, rows: Int32Array.from(rows), ends: Int32Array.from(ends), labels: Float32Array.from(labels) };
}

/** next-item recommendation: history = train sequence, positive = the customer's next item (valid target) */
export function nextItemTask(data: PreparedDataset): RecommendationTask {
  const h = data.train;
  const index = new Map(h.customerIds.map((id, c) => [id, c]));
  const rows: number[] = [], items: number[] = [];
  data.valid.history.customerIds.forEach((id, i) => {
    const c = index.get(id);
    if (c === undefined || h.offsets[c + 1] === h.offsets[c]) return;
    rows.push(c), items.push(data.valid.targets[i]);
  });
  const r = Int32Array.from(rows);
  return { name: 'next-item', kind: 'recommendation', rule: 'positive = the item after the pre-training history (LOO valid target); 100 random negatives at test', history: h, rows: r, ends: r.map((c) => h.offsets[c + 1]), items: Int32Array.from(items), itemCount: data.vocabs.item.tokens.length };
}
