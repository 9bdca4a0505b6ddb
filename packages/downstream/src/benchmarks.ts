/** Offline downstream benchmarks of any trained CustomerModel (the pipeline's runBenchmarks activity): user-label
 * classification and targeting on frozen vectors (U-MLP and XGBoost on the same vectors and split), next-item
 * with a frozen user tower, and fine-tuning against the frozen encoder (finetune-bench.ts). Every task has its own
 * seeded customer-disjoint split per repeat (seed + repeat); metrics are mean ± std over the repeats. */
import { CfmError, isCfmError, lineProgress, type CustomerModel, type PreparedDataset, type ProgressReporter } from '@cfm/core';
import type { BenchmarkResult, BenchmarkSpec } from '@cfm/contracts';
import { finetuneBenchmark } from './finetune-bench';
import { evaluateRecommender, trainRecommender } from './recommend';
import {
  frozenVectors,
  HEAD_BATCH,
  pick,
  resultOf,
  rowLine,
  summarize,
  taskSplit,
  type BenchContext,
  type Metrics,
  type Row,
} from './bench-common';
import { frozenEncoder, frozenSource } from './sources';
import { nextItemTask, targetingTask, type ClassificationTask } from './tasks';
import { labelRuleTask } from './label-rule';
import { trainClassifier } from './umlp';
import { xgboostClassifier, xgboostMissing } from './xgb';

export interface RunBenchmarksOptions {
  data: PreparedDataset;
  /** the trained model: never modified */
  model: CustomerModel;
  /** a fresh copy of the trained model (fine-tuning changes its weights; the runner disposes it) */
  reload: () => Promise<CustomerModel>;
  /** an untrained model of the same config: when given, the finetune task adds a 'no pre-training' row
   * (the same encoder and head trained end to end from random initialisation) */
  fresh?: () => Promise<CustomerModel>;
  tasks: BenchmarkSpec[];
  progress?: ProgressReporter;
  /** called between tasks and inside long loops (activity heartbeats) */
  heartbeat?: (details: unknown) => void;
  /** aborting stops at the next step with CfmError('CFM_E_STATE', '... cancelled') */
  signal?: AbortSignal;
}

/** One result per task, in order. */
export async function runBenchmarks(o: RunBenchmarksOptions): Promise<BenchmarkResult[]> {
  const progress = o.progress ?? lineProgress();
  let xgb: string | null | undefined;
  const ctx: BenchContext = {
    data: o.data,
    model: o.model,
    reload: o.reload,
    fresh: o.fresh,
    progress,
    signal: o.signal,
    beat(details) {
      o.heartbeat?.(details);
      if (o.signal?.aborted) throw new CfmError('CFM_E_STATE', `benchmarks cancelled (${String(details.task ?? 'between tasks')})`);
    },
    xgboost() {
      if (xgb === undefined) {
        xgb = xgboostMissing();
        if (xgb) progress.log(`warning: XGBoost rows left out: ${xgb}`);
      }
      return xgb;
    },
  };
  const out: BenchmarkResult[] = [];
  for (const [i, spec] of o.tasks.entries()) {
    ctx.beat({ task: spec.name, index: i, of: o.tasks.length });
    checkSpec(spec);
    const t0 = performance.now();
    try {
      out.push(await runTask(spec, ctx));
    } catch (e) {
      if (o.signal?.aborted && !(isCfmError(e) && /cancelled/.test(e.message)))
        throw new CfmError('CFM_E_STATE', `benchmarks cancelled (${spec.name})`);
      throw e;
    }
    progress.log(`benchmark ${spec.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  ctx.beat({ task: 'done', of: o.tasks.length });
  return out;
}

function runTask(spec: BenchmarkSpec, ctx: BenchContext): Promise<BenchmarkResult> {
  switch (spec.task) {
    case 'label':
      return classificationBenchmark(spec, labelRuleTask(ctx.data, spec.name, spec), ctx);
    case 'targeting':
      return classificationBenchmark(spec, targetingTask(ctx.data, spec.feature, spec.value, spec.window), ctx);
    case 'next-item':
      return nextItemBenchmark(spec, ctx);
    case 'finetune':
      return finetuneBenchmark(spec, labelRuleTask(ctx.data, spec.name, spec), ctx);
    default:
      throw new CfmError(
        'CFM_E_CONFIG',
        `unknown benchmark task "${(spec as { task: string }).task}" (label, targeting, next-item, finetune)`,
        { field: 'benchmarks.task' },
      );
  }
}

/** the numbers every task needs to be sane: shares, repeats, epochs */
function checkSpec(spec: BenchmarkSpec): void {
  const field = (k: string) => ({ field: `benchmarks.${spec.name}.${k}` });
  const [a, b, c] = spec.split;
  if (spec.split.length !== 3 || [a, b, c].some((x) => !(x >= 0)) || !(a > 0 && c > 0) || Math.abs(a + b + c - 1) > 1e-6)
    throw new CfmError(
      'CFM_E_CONFIG',
      `split must be three shares (train, valid, test) summing to 1 with train and test > 0, got [${spec.split.join(', ')}]`,
      field('split'),
    );
  if (!(Number.isInteger(spec.repeats) && spec.repeats >= 1))
    throw new CfmError('CFM_E_CONFIG', `repeats must be a whole number >= 1, got ${spec.repeats}`, field('repeats'));
  if (!(Number.isInteger(spec.epochs) && spec.epochs >= 1))
    throw new CfmError('CFM_E_CONFIG', `epochs must be a whole number >= 1, got ${spec.epochs}`, field('epochs'));
}

const CLASSIFICATION = ['auroc', 'f1', 'accuracy'];

/** label / targeting: U-MLP and XGBoost on the same frozen vectors and split */
async function classificationBenchmark(spec: BenchmarkSpec, t: ClassificationTask, ctx: BenchContext): Promise<BenchmarkResult> {
  const n = t.rows.length;
  const positives = t.labels.reduce((a, y) => a + y, 0);
  ctx.progress.log(
    `benchmark ${spec.name} (${spec.task}): ${t.rule}; ${n} customers, ${positives} positive; split [${spec.split.join(', ')}], ${spec.repeats} repeat(s)`,
  );
  const d = ctx.model.embeddingDim;
  const vectors = await frozenVectors(t, ctx, spec.name);
  const withXgb = ctx.xgboost() === null;
  const umlp: Metrics[] = [],
    xgb: Metrics[] = [];
  for (let r = 0; r < spec.repeats; r++) {
    const s = taskSplit(spec, n, r);
    const seed = spec.seed + r;
    const beat = () => ctx.beat({ task: spec.name, repeat: r, model: 'U-MLP' });
    const { metrics, model } = await trainClassifier(frozenEncoder(t, vectors, d), t, s.train, s.test, {
      freezeEncoder: true,
      epochs: spec.epochs,
      lr: 1e-3,
      batchSize: HEAD_BATCH,
      seed,
      maxLen: ctx.model.maxLen,
      signal: ctx.signal,
      onProgress: beat,
    });
    model.dispose();
    umlp.push(pick(metrics, CLASSIFICATION));
    if (withXgb) {
      const xgbBeat = () => ctx.beat({ task: spec.name, repeat: r, model: 'XGBoost' });
      xgbBeat();
      xgb.push(await xgboostClassifier(vectors, d, t, s, { seed, signal: ctx.signal, onRound: xgbBeat }));
    }
  }
  const rows: Row[] = [{ model: 'U-MLP', ...summarize(umlp) }];
  if (withXgb) rows.push({ model: 'XGBoost', ...summarize(xgb) });
  for (const row of rows) ctx.progress.log(rowLine(spec.name, row));
  return resultOf(spec, t.rule, n, rows);
}

/** next item: frozen user tower (U-MLP on the frozen vectors) and a trained item tower; HR / NDCG / MRR against
 * `negatives` sampled items, overall and for the cold / heavy thirds of the test customers by history length */
async function nextItemBenchmark(spec: Extract<BenchmarkSpec, { task: 'next-item' }>, ctx: BenchContext): Promise<BenchmarkResult> {
  const t = nextItemTask(ctx.data);
  const n = t.rows.length;
  const rule = `positive = the item right after the training history (the valid target), ranked among ${spec.negatives} uniform random items not in the history; cold / heavy = bottom / top third of the test customers by history length`;
  ctx.progress.log(`benchmark ${spec.name} (next-item): ${n} customers; split [${spec.split.join(', ')}], ${spec.repeats} repeat(s)`);
  const d = ctx.model.embeddingDim;
  const vectors = await frozenVectors(t, ctx, spec.name);
  const runs: Metrics[] = [];
  for (let r = 0; r < spec.repeats; r++) {
    const s = taskSplit(spec, n, r);
    const seed = spec.seed + r;
    const { model } = await trainRecommender(frozenSource(vectors, d), t, s.train, {
      epochs: spec.epochs,
      lr: 1e-3,
      seed,
      signal: ctx.signal,
      onProgress: () => ctx.beat({ task: spec.name, repeat: r }),
    });
    try {
      const bySegment = evaluateRecommender(model, t, s.test, seed, { negatives: spec.negatives, fraction: 1 / 3 });
      runs.push(
        Object.fromEntries(
          Object.entries(bySegment).flatMap(([seg, m]) => Object.entries(m).map(([k, v]) => [seg === 'all' ? k : `${seg}/${k}`, v])),
        ),
      );
    } finally {
      model.params.dispose();
    }
  }
  const row: Row = { model: 'frozen user tower', ...summarize(runs) };
  ctx.progress.log(rowLine(spec.name, row));
  return resultOf(spec, rule, n, [row]);
}
