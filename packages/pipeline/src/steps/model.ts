import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CfmError, configHash } from '@cfm/core';
import type { CustomerModel, CustomerSequences, ModelFamily, PreparedDataset } from '@cfm/core';
import type { EvaluateInput, ExportInput, PartitionInput, TrainInput, TrainProgress } from '@cfm/contracts';
import { loadPrepared } from '@cfm/data';
import { appendTopK, openTopKScores, writeCustomerEmbeddings } from '@cfm/export';
import { allCustomers } from '@cfm/export/model';
import { describeEval, padBatch, rankEval } from '@cfm/tensor';
import type { StepContext } from '../step-context';

export type FamilyLookup = (name: string) => ModelFamily;

/** trains one family; fit() checkpoints into checkpointDir every `checkpointEvery` steps and, when
 * retried, resumes from the last checkpoint there */
export async function trainStep(
  families: FamilyLookup, input: TrainInput, dirs: { artifactDir: string; checkpointDir: string },
  ctx: StepContext & { onTrainProgress(p: TrainProgress): void },
) {
  const family = families(input.family.name);
  const parsed = family.config.safeParse(input.family.config);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CfmError('CFM_E_CONFIG', `${input.family.name}: ${i.message}`, { field: ['families', input.family.name, 'config', ...i.path].join('.') });
  }
  const data = await loadPrepared(input.preparedDir);
  const model = family.create(parsed.data, { vocabs: data.vocabs, itemFeatures: data.itemFeatures });
  try {
    mkdirSync(dirs.checkpointDir, { recursive: true });
    let last = { loss: NaN, step: 0 };
    const report = await model.fit(data, {
      epochs: input.family.epochs, seed: input.seed, checkpointDir: dirs.checkpointDir, checkpointEvery: input.family.checkpointEvery,
      signal: ctx.signal,
      onProgress: (p) => {
        last = p;
        ctx.onTrainProgress({ family: input.family.name, epoch: p.epoch, step: p.step, totalSteps: p.totalSteps, loss: p.loss });
        ctx.progress.update({ step: `train ${input.family.name}`, done: p.step, total: p.totalSteps, info: { epoch: p.epoch, loss: p.loss } });
      },
    });
    const manifest = await model.save(dirs.artifactDir);
    const finalLoss = report.history.at(-1)?.loss ?? last.loss;
    return { steps: report.steps, resumedFromStep: report.resumedFromStep ?? 0, finalLoss, configHash: manifest.configHash };
  } finally {
    model.dispose();
  }
}

export async function evaluateStep(families: FamilyLookup, input: EvaluateInput, ctx: StepContext) {
  const data = await loadPrepared(input.preparedDir);
  const model = await families(input.family).load(input.artifactDir);
  try {
    const e = input.evaluate;
    const protocol = e.protocol === 'full' ? 'full' : e.sampling === 'popularity' ? 'sampled-pop' : 'sampled-uniform';
    const opts = { protocol, seed: input.seed, negatives: e.negatives, excludeHistory: e.excludeHistory, maxLen: maxLenOf(data), k: e.ks, progress: ctx.progress, label: `evaluate ${input.family}` } as const;
    const r = rankEval(model, data, 'test', opts);
    return { metrics: r.metrics, protocol: `${data.split} split, ${describeEval(opts, 'test')}` };
  } finally {
    model.dispose();
  }
}

const maxLenOf = (data: PreparedDataset) => Number((data.manifest.config as { maxSeqLen?: number } | undefined)?.maxSeqLen ?? 50);

/** Embeds and scores customers (rows of `seqs`) in batches; `ends` cuts each history (point-in-time exports). */
async function writeOutputs(
  model: CustomerModel, data: PreparedDataset, seqs: CustomerSequences, rows: number[], outDir: string,
  o: { family: string; version: string; asOf: string; topK: number; ends?: Int32Array }, ctx: StepContext,
) {
  mkdirSync(outDir, { recursive: true });
  const ids = rows.map((r) => seqs.customerIds[r]);
  const bs = 256;
  const dim = model.embeddingDim;
  const vectors = new Float32Array(rows.length * dim);
  const task = model.tasks[0];
  const topkFile = join(outDir, 'topk.parquet');
  const sink = await openTopKScores(topkFile, { family: o.family, modelVersion: o.version });
  const items = data.vocabs.item.tokens;
  for (let s = 0; s < rows.length; s += bs) {
    const part = rows.slice(s, s + bs);
    const batch = padBatch(seqs, part, { maxLen: Math.min(maxLenOf(data), 200), itemFeatures: data.itemFeatures, ends: o.ends && Int32Array.from(part, (r) => o.ends![r]) });
    vectors.set(model.embed(batch), s * dim);
    await appendTopK(sink, task, ids.slice(s, s + bs), model.score(batch, task), items, o.topK);
    ctx.heartbeat({ asOf: o.asOf, done: s + part.length, total: rows.length });
  }
  const topk = await sink.close();
  const embFile = join(outDir, 'embeddings.parquet');
  await writeCustomerEmbeddings(embFile, { family: o.family, modelVersion: o.version, asOf: o.asOf }, ids, vectors);
  return { files: [embFile, topkFile], rows: { embeddings: ids.length, topk: (topk as { rows?: number }).rows ?? ids.length * o.topK } };
}

export async function exportStep(families: FamilyLookup, input: ExportInput, outDir: string, ctx: StepContext) {
  const data = await loadPrepared(input.preparedDir);
  const model = await families(input.family).load(input.artifactDir);
  try {
    // every customer with their whole known history (train, plus the valid / test history and target)
    const seqs = allCustomers(data);
    const rows = Array.from({ length: seqs.customerIds.length }, (_, i) => i);
    const asOf = new Date().toISOString().slice(0, 10);
    return await writeOutputs(model, data, seqs, rows, outDir, { family: input.family, version: basename(input.artifactDir), asOf, topK: input.topK }, ctx);
  } finally {
    model.dispose();
  }
}

/** Point-in-time: each customer's history is cut at the first event at or after `asOf`. */
export async function partitionStep(families: FamilyLookup, input: PartitionInput, outDir: string, ctx: StepContext) {
  const data = await loadPrepared(input.preparedDir);
  const model = await families(input.family).load(input.artifactDir);
  try {
    const cut = Date.parse(`${input.asOf}T00:00:00Z`) / 1000;
    const seqs = allCustomers(data);
    const { offsets, times, customerIds } = seqs;
    const ends = new Int32Array(customerIds.length);
    const rows: number[] = [];
    for (let c = 0; c < customerIds.length; c++) {
      let e = offsets[c];
      while (e < offsets[c + 1] && times[e] < cut) e++;
      ends[c] = e;
      if (e > offsets[c]) rows.push(c);
    }
    const r = await writeOutputs(model, data, seqs, rows, outDir, { family: input.family, version: basename(input.artifactDir), asOf: input.asOf, topK: input.topK, ends }, ctx);
    return { files: r.files, customers: rows.length };
  } finally {
    model.dispose();
  }
}

