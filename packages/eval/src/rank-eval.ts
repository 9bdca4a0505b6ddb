/** Next-item ranking evaluation of any CustomerModel on a prepared split, under one protocol:
 * full ranking (all items, reserved ids dropped, history optionally dropped) or the target plus
 * 100 sampled negatives (uniform or popularity, seeded); the model scores padded batches (padBatch).
 * A task whose scores index an item attribute (MCM's next-brand, next-category1, ...) is ranked over that attribute's
 * vocabulary against the target item's attribute (full ranking only; accuracy = hr@1); targets whose item has no
 * value of the attribute are left out and counted. */
import {
  CfmError,
  RESERVED_IDS,
  padBatch,
  silentProgress,
  type CustomerModel,
  type EvalSet,
  type PreparedDataset,
  type ProgressReporter,
} from '@cfm/core';
import { RankingAccumulator, type RankingResult } from './ranking';
import { buildSampledCandidates, gatherScores, itemPopularity } from './sampling';

export type ProtocolName = 'full' | 'sampled-uniform' | 'sampled-pop';

export interface RankEvalOptions {
  protocol: ProtocolName;
  /** negative-sampling seed (sampled protocols) */
  seed?: number;
  negatives?: number;
  /** full ranking: drop items of the customer's history (default true) */
  excludeHistory?: boolean;
  maxLen: number;
  batchSize?: number;
  /** evaluate only the first n customers (validation subsets) */
  limit?: number;
  task?: string;
  k?: number[];
  progress?: ProgressReporter;
  label?: string;
}

export function describeEval(o: RankEvalOptions, split: string): string {
  if (o.protocol === 'full') return `${split}, full ranking over all items${o.excludeHistory === false ? '' : ' (history excluded)'}`;
  return `${split}, target + ${o.negatives ?? 100} ${o.protocol === 'sampled-pop' ? 'popularity' : 'uniform'}-sampled negatives (seed ${o.seed ?? 0})`;
}

export function rankEval(model: CustomerModel, data: PreparedDataset, split: 'valid' | 'test', o: RankEvalOptions): RankingResult {
  const vocab = model.taskOutputs?.[o.task ?? model.tasks[0]]?.vocab ?? 'item';
  if (vocab !== 'item') return attributeEval(model, data, split, o, vocab);
  return rankEvalMany(model, data, split, [o])[0];
}

/** Several item-ranking protocols of one split from one scoring pass: each batch is scored once and ranked under
 * every option (full, and each sampled protocol and negative seed), the same results as one rankEval per option.
 * The options share task, maxLen, limit and batchSize (the first option's); progress is reported under its label. */
export function rankEvalMany(
  model: CustomerModel,
  data: PreparedDataset,
  split: 'valid' | 'test',
  opts: RankEvalOptions[],
): RankingResult[] {
  const o = opts[0];
  for (const x of opts)
    if (
      (x.task ?? model.tasks[0]) !== (o.task ?? model.tasks[0]) ||
      x.maxLen !== o.maxLen ||
      x.limit !== o.limit ||
      x.batchSize !== o.batchSize
    )
      throw new CfmError('CFM_E_CONFIG', 'rankEvalMany: the options must share task, maxLen, limit and batchSize', { field: 'opts' });
  const set: EvalSet = data[split];
  const n = Math.min(set.targets.length, o.limit ?? Infinity);
  const itemCount = data.vocabs.item.tokens.length;
  const bs = o.batchSize ?? 256;
  const task = o.task ?? model.tasks[0];
  const hist = set.history;
  const excludeAll = Int32Array.from({ length: RESERVED_IDS }, (_, i) => i);
  let popularity: Float64Array | undefined;
  const plans = opts.map((x) => {
    const acc = new RankingAccumulator({ k: x.k ?? [1, 5, 10, 20] });
    const width = 1 + (x.negatives ?? 100);
    if (x.protocol === 'full') return { x, acc, width, candidates: undefined };
    if (x.protocol === 'sampled-pop') popularity ??= itemPopularity(data.train.items, itemCount);
    const candidates = buildSampledCandidates({
      targets: set.targets.subarray(0, n),
      history: { offsets: hist.offsets, ids: hist.items },
      itemCount,
      popularity: x.protocol === 'sampled-pop' ? popularity : undefined,
      protocol: { kind: x.protocol === 'sampled-pop' ? 'popularity' : 'uniform', count: width - 1, seed: x.seed ?? 0 },
    });
    return { x, acc, width, candidates };
  });
  const progress = o.progress ?? silentProgress;
  const step = o.label ?? `eval ${split}`;
  progress.start(step, n);
  for (let s = 0; s < n; s += bs) {
    const rows = Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i);
    const batch = padBatch(hist, rows, { maxLen: o.maxLen, itemFeatures: data.itemFeatures });
    const full = model.score(batch, task); // [b, V]
    const targets = set.targets.subarray(s, s + rows.length);
    for (const { x, acc, width, candidates } of plans) {
      if (candidates) {
        const cand = candidates.subarray(s * width, (s + rows.length) * width);
        acc.add({ scores: gatherScores(full, itemCount, cand, width), cols: width, targets: new Int32Array(rows.length) });
      } else {
        const exclude =
          x.excludeHistory === false ? undefined : { offsets: hist.offsets.subarray(s, s + rows.length + 1), ids: hist.items };
        acc.add({ scores: full, cols: itemCount, targets, excludeAll, exclude });
      }
    }
    progress.update({ step, done: s + rows.length, total: n });
  }
  const results = plans.map((p) => p.acc.result());
  progress.finish(step, { 'ndcg@10': results[0].metrics['ndcg@10'] ?? NaN });
  return results;
}

/** the task's scores [b, V_attr] ranked against the attribute of each target item (see the header) */
function attributeEval(
  model: CustomerModel,
  data: PreparedDataset,
  split: 'valid' | 'test',
  o: RankEvalOptions,
  vocab: string,
): RankingResult {
  const task = o.task!;
  const table = data.itemFeatures[vocab];
  const cols = data.vocabs[vocab]?.tokens.length;
  if (!table || !cols)
    throw new CfmError('CFM_E_CONFIG', `task ${task} scores "${vocab}", which this prepared data has no item table for`, { field: 'task' });
  if (o.protocol !== 'full')
    throw new CfmError(
      'CFM_E_CONFIG',
      `task ${task} ranks the ${vocab} vocabulary: only the full protocol applies (sampled negatives are items)`,
      {
        field: 'protocol',
      },
    );
  const set: EvalSet = data[split];
  const n = Math.min(set.targets.length, o.limit ?? Infinity);
  const bs = o.batchSize ?? 256;
  const acc = new RankingAccumulator({ k: o.k ?? [1, 5, 10, 20] });
  const excludeAll = Int32Array.from({ length: RESERVED_IDS }, (_, i) => i);
  const progress = o.progress ?? silentProgress;
  const step = o.label ?? `eval ${split} ${task}`;
  progress.start(step, n);
  for (let s = 0; s < n; s += bs) {
    const rows: number[] = [];
    for (let r = s; r < Math.min(n, s + bs); r++) {
      const t = set.targets[r];
      if (t >= RESERVED_IDS && t < table.length && table[t] >= RESERVED_IDS) rows.push(r); // result.rows counts them
    }
    if (rows.length) {
      const batch = padBatch(set.history, rows, { maxLen: o.maxLen, itemFeatures: data.itemFeatures });
      const scores = model.score(batch, task);
      acc.add({ scores, cols, targets: Int32Array.from(rows, (r) => table[set.targets[r]]), excludeAll });
    }
    progress.update({ step, done: Math.min(n, s + bs), total: n });
  }
  const result = acc.result();
  result.metrics.accuracy = result.metrics['hr@1'] ?? NaN;
  progress.finish(step, { accuracy: result.metrics.accuracy, 'ndcg@10': result.metrics['ndcg@10'] ?? NaN });
  return result;
}
