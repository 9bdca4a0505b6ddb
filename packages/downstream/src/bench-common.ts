/** What the benchmark task runners share: the run context, the per-repeat split, frozen vectors, summaries. */
import { CfmError, type CustomerModel, type PreparedDataset, type ProgressReporter } from '@cfm/core';
import type { BenchmarkResult, BenchmarkSpec } from '@cfm/contracts';
import { examplesBatch, type Examples } from './sources';
import { customerDisjointSplit, type Split } from './tasks';

export type Row = BenchmarkResult['rows'][number];
export type Metrics = Record<string, number>;

/** examples per optimizer step of the U-MLP heads (and of fine-tuning) */
export const HEAD_BATCH = 128;

/** What every task runner gets. */
export interface BenchContext {
  data: PreparedDataset;
  model: CustomerModel;
  reload: () => Promise<CustomerModel>;
  /** the same architecture and config, untrained (the fine-tuning task's 'no pre-training' row) */
  fresh?: () => Promise<CustomerModel>;
  progress: ProgressReporter;
  signal?: AbortSignal;
  /** heartbeat with details, then throws when cancelled */
  beat(details: Record<string, unknown>): void;
  /** null when XGBoost can run; the reason otherwise (warned once) */
  xgboost: () => string | null;
}

/** the customer-disjoint split of repeat r (seed + r) of a task's n examples (one example per customer) */
export function taskSplit(spec: Pick<BenchmarkSpec, 'split' | 'seed' | 'name'>, n: number, repeat: number): Split {
  const s = customerDisjointSplit(n, spec.split, spec.seed + repeat);
  if (!s.train.length || !s.test.length)
    throw new CfmError(
      'CFM_E_DATASET',
      `${n} customers are too few for split [${spec.split.join(', ')}]: ${s.train.length} train, ${s.test.length} test`,
      { field: `benchmarks.${spec.name}.split` },
    );
  return s;
}

/** frozen customer vectors [N, D] of the examples (the model at inference, histories cut to model.maxLen) */
export async function frozenVectors(ex: Examples, ctx: BenchContext, task: string, batchSize = 256): Promise<Float32Array> {
  const { model } = ctx;
  const d = model.embeddingDim;
  const out = new Float32Array(ex.rows.length * d);
  for (let s = 0; s < ex.rows.length; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, ex.rows.length - s) }, (_, i) => s + i);
    out.set(model.embed(examplesBatch(ex, idx, model.maxLen, ctx.data.itemFeatures)), s * d);
    ctx.beat({ task, step: 'embed', done: s + idx.length, total: ex.rows.length });
    await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

/** mean and (sample) standard deviation of each metric over repeats (std 0 with one repeat; non-finite runs left out) */
export function summarize(runs: Metrics[]): { metrics: Metrics; std: Metrics } {
  const metrics: Metrics = {},
    std: Metrics = {};
  for (const k of Object.keys(runs[0] ?? {})) {
    const xs = runs.map((r) => r[k]).filter(Number.isFinite);
    if (!xs.length) continue;
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    metrics[k] = m;
    std[k] = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { metrics, std };
}

export function rowLine(task: string, r: Row): string {
  const m = Object.entries(r.metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)} ± ${(r.std[k] ?? 0).toFixed(4)}`)
    .join(', ');
  const cost = r.cost
    ? `; ${r.cost.msPerBatch.toFixed(2)} ms / batch of 128, ${r.cost.parameters} parameters trained, ${r.cost.trainSeconds.toFixed(1)} s training`
    : '';
  return `benchmark ${task} ${r.model}: ${m}${cost}`;
}

export const pick = (m: Metrics, keys: string[]): Metrics => Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]]));

/** result skeleton: rule, example count, the split sizes (the same every repeat) */
export function resultOf(spec: BenchmarkSpec, rule: string, n: number, rows: Row[]): BenchmarkResult {
  const s = taskSplit(spec, n, 0);
  return {
    task: spec.name,
    kind: spec.task,
    rule,
    examples: n,
    split: { train: s.train.length, valid: s.valid.length, test: s.test.length },
    repeats: spec.repeats,
    rows,
  };
}
