/** Fine-tuning benchmark: on a label task, a new U-MLP head on the pre-trained encoder trained end to end
 * ('fine-tuned', on a fresh copy of the model) against the same head on the frozen encoder ('frozen') and, when the
 * caller can build one, the same encoder trained end to end from random initialisation ('no pre-training'), with each
 * one's compute cost: ms to score a batch of 128 test customers (median of 5; the fine-tuned model reads raw
 * histories through the encoder, the frozen head reads stored vectors), parameters trained, training seconds. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type CustomerModel } from '@cfm/core';
import type { BenchmarkResult, BenchmarkSpec } from '@cfm/contracts';
import { Ctx, encodeExamples, FROM_SCRATCH, type Encoder, type FineTuneConfigInput, type FineTuned } from '@cfm/tensor';
import { medianMs, scoreOnce } from './compute';
import { HEAD_BATCH, pick, resultOf, rowLine, summarize, taskSplit, type BenchContext, type Metrics, type Row } from './bench-common';
import type { ClassificationTask } from './tasks';
import { part, trainClassifier } from './umlp';

const BATCH = 128;
type Method = 'fine-tuned' | 'frozen' | 'no pre-training';

/** the model as a fine-tuning Encoder (params + encodeVector), or a CfmError naming the family */
export function asEncoder(model: CustomerModel): Encoder {
  const m = model as CustomerModel & Partial<Encoder>;
  if (typeof m.encodeVector !== 'function' || typeof m.params?.count !== 'function')
    throw new CfmError(
      'CFM_E_CONFIG',
      `family "${model.family}" cannot be fine-tuned: its model does not implement Encoder (params + encodeVector)`,
      { field: 'benchmarks.finetune' },
    );
  return m as Encoder;
}

/** ms to score one batch of 128 examples with a fine-tuned model (encoder + head) */
function encoderMs(m: FineTuned, ex: ReturnType<typeof part>): number {
  const idx = Array.from({ length: ex.rows.length }, (_, i) => i);
  return medianMs(() => scoreOnce(m, ex, idx));
}

/** ms to score one batch of 128 stored vectors with the head alone */
function headMs(m: FineTuned, vectors: Float32Array, dim: number): number {
  return medianMs(() => tf.tidy(() => m.head.apply(tf.tensor2d(vectors, [vectors.length / dim, dim]), Ctx.inference()).dataSync()));
}

export async function finetuneBenchmark(
  spec: Extract<BenchmarkSpec, { task: 'finetune' }>,
  t: ClassificationTask,
  ctx: BenchContext,
): Promise<BenchmarkResult> {
  const frozenEnc = asEncoder(ctx.model);
  const n = t.rows.length;
  ctx.progress.log(
    `benchmark ${spec.name} (finetune): ${t.rule}; ${n} customers; split [${spec.split.join(', ')}], ${spec.repeats} repeat(s)`,
  );
  const methods: Method[] = ['fine-tuned', 'frozen', ...(ctx.fresh ? (['no pre-training'] as const) : [])];
  const runs = Object.fromEntries(
    methods.map((m) => [m, { metrics: [] as Metrics[], ms: [] as number[], parameters: [] as number[], seconds: [] as number[] }]),
  ) as Record<Method, { metrics: Metrics[]; ms: number[]; parameters: number[]; seconds: number[] }>;
  const head = {
    epochs: spec.epochs,
    lr: 1e-3,
    batchSize: HEAD_BATCH,
    maxLen: ctx.model.maxLen,
    itemFeatures: ctx.data.itemFeatures,
    signal: ctx.signal,
    settings: (spec.finetune ?? {}) as FineTuneConfigInput,
  };
  for (let r = 0; r < spec.repeats; r++) {
    const s = taskSplit(spec, n, r);
    const seed = spec.seed + r;
    // a batch of 128 test customers (the test part repeated when it is smaller)
    const batch = part(
      t,
      Int32Array.from({ length: BATCH }, (_, i) => s.test[i % s.test.length]),
    );
    ctx.beat({ task: spec.name, repeat: r, model: 'frozen' });
    const frozen = await trainClassifier(frozenEnc, t, s.train, s.test, {
      ...head,
      valid: s.valid,
      seed,
      freezeEncoder: true,
      onProgress: () => ctx.beat({ task: spec.name, repeat: r, model: 'frozen' }),
    });
    try {
      const stored = encodeExamples(frozenEnc, batch, frozen.model.o);
      record(runs.frozen, frozen, headMs(frozen.model, stored, frozenEnc.embeddingDim));
    } finally {
      frozen.model.dispose();
    }
    for (const method of methods.filter((m) => m !== 'frozen')) {
      ctx.beat({ task: spec.name, repeat: r, model: method });
      const copy = method === 'fine-tuned' ? await ctx.reload() : await ctx.fresh!();
      try {
        const enc = asEncoder(copy);
        const tuned = await trainClassifier(enc, t, s.train, s.test, {
          ...head,
          // nothing pre-trained to protect from scratch: one learning rate, no head warm-up
          ...(method === 'no pre-training' && { settings: { ...head.settings, ...FROM_SCRATCH } }),
          valid: s.valid,
          seed,
          freezeEncoder: false,
          onProgress: () => ctx.beat({ task: spec.name, repeat: r, model: method }),
        });
        try {
          record(runs[method], tuned, encoderMs(tuned.model, batch));
        } finally {
          tuned.model.dispose();
        }
      } finally {
        copy.dispose();
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const rows: Row[] = methods.map((model) => {
    const x = runs[model];
    return { model, ...summarize(x.metrics), cost: { msPerBatch: mean(x.ms), parameters: x.parameters[0], trainSeconds: mean(x.seconds) } };
  });
  for (const row of rows) ctx.progress.log(rowLine(spec.name, row));
  return resultOf(spec, t.rule, n, rows);
}

function record(
  into: { metrics: Metrics[]; ms: number[]; parameters: number[]; seconds: number[] },
  r: { metrics: Metrics; parameters: number; seconds: number },
  ms: number,
): void {
  into.metrics.push(pick(r.metrics, ['auroc', 'f1', 'accuracy']));
  into.parameters.push(r.parameters);
  into.seconds.push(r.seconds);
  into.ms.push(ms);
}
