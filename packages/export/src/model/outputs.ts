/** A model's outputs for a set of customers: their embeddings and, for EVERY task, the top-k of the task's
 * scores over the vocabulary its columns index (`model.taskOutputs`), as real token ids. */
import { join } from 'node:path';
import {
  CfmError,
  RESERVED_IDS,
  silentProgress,
  padBatch,
  type CustomerModel,
  type CustomerSequences,
  type ProgressReporter,
  type Vocabularies,
} from '@cfm/core';
import type { ParquetSink } from '../parquet-sink';
import { appendTopK, openCustomerEmbeddings, openTopKScores } from '../writers';

/** customers per batch (padded to at most model.maxLen) */
const BATCH = 256;

export interface ModelOutputsOptions {
  model: CustomerModel;
  /** the prepared data's vocabularies and per-item feature tables (padBatch expands the features) */
  data: { vocabs: Vocabularies; itemFeatures: Record<string, Int32Array> };
  sequences: CustomerSequences;
  /** customer indices into `sequences`, in output order; default every customer */
  rows?: readonly number[];
  /** point in time: per row (ends[i] belongs to rows[i]), the exclusive end offset of that customer's history */
  ends?: Int32Array;
  outDir: string;
  family: string;
  modelVersion: string;
  /** YYYY-MM-DD, the embeddings' as_of column */
  asOf: string;
  /** best tokens kept per customer and task (fewer when the vocabulary has fewer real tokens) */
  topK: number;
  progress?: ProgressReporter;
  /** called after every batch */
  heartbeat?: (p: { done: number; total: number }) => void;
  /** checked before every batch: an aborted export throws and leaves no file behind */
  signal?: AbortSignal;
}

export interface ModelOutputsResult {
  /** embeddings.parquet and topk.parquet under outDir */
  files: string[];
  rows: { embeddings: number; topk: number };
  /** the tasks whose top-k were written: every task of the model */
  tasks: string[];
}

/** The real token strings each task's score columns index (column j = token j). */
export function taskTokens(model: CustomerModel, vocabs: Vocabularies): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const task of model.tasks) {
    const o = model.taskOutputs[task];
    if (!o)
      throw new CfmError('CFM_E_CONFIG', `${model.family} declares no output vocabulary for task "${task}"`, { field: 'taskOutputs' });
    const tokens = o.tokens ?? vocabs[o.vocab]?.tokens;
    if (!tokens)
      throw new CfmError('CFM_E_CONFIG', `task "${task}" scores the "${o.vocab}" vocabulary, which the data does not have`, {
        field: `vocabs.${o.vocab}`,
      });
    out[task] = tokens;
  }
  return out;
}

/** Writes `<outDir>/embeddings.parquet` (customer_id, as_of, family, model_version, vector) and
 * `<outDir>/topk.parquet` (customer_id, task, rank, item_id, score): both through a temp file renamed
 * into place once complete. Reserved tokens ([PAD] [MASK] [CLS] [OOV]) are never exported. */
export async function writeModelOutputs(o: ModelOutputsOptions): Promise<ModelOutputsResult> {
  const { model, sequences: seqs } = o;
  if (!Number.isInteger(o.topK) || o.topK < 1)
    throw new CfmError('CFM_E_CONFIG', `topK must be a positive integer, got ${o.topK}`, { field: 'topK' });
  const rows = o.rows ?? seqs.customerIds.map((_, c) => c);
  if (o.ends && o.ends.length !== rows.length)
    throw new CfmError('CFM_E_CONFIG', `${o.ends.length} ends for ${rows.length} rows (one per row)`, { field: 'ends' });
  const tokens = taskTokens(model, o.data.vocabs);
  const tasks = [...model.tasks];
  const real = Object.fromEntries(tasks.map((t) => [t, tokens[t].slice(RESERVED_IDS)]));
  const progress = o.progress ?? silentProgress;
  const meta = { family: o.family, modelVersion: o.modelVersion };
  const embFile = join(o.outDir, 'embeddings.parquet');
  const topkFile = join(o.outDir, 'topk.parquet');
  const sinks: ParquetSink[] = [];
  try {
    const emb = await openCustomerEmbeddings(embFile, { ...meta, asOf: o.asOf, metadata: { dim: String(model.embeddingDim) } });
    sinks.push(emb);
    const topk = await openTopKScores(topkFile, { ...meta, metadata: { tasks: tasks.join(','), k: String(o.topK) } });
    sinks.push(topk);
    progress.start('export', rows.length);
    for (let s = 0; s < rows.length; s += BATCH) {
      if (o.signal?.aborted)
        throw new CfmError('CFM_E_STATE', `export cancelled after ${s} of ${rows.length} customers`, { file: o.outDir }, true);
      const part = rows.slice(s, s + BATCH);
      const ends = o.ends?.subarray(s, s + part.length);
      const batch = padBatch(seqs, part, { maxLen: model.maxLen, itemFeatures: o.data.itemFeatures, ends, times: true });
      const ids = batch.customerIds!;
      await emb.append({ customer_id: ids, vector: model.embed(batch) }, part.length);
      for (const task of tasks) {
        const scores = realColumns(model.score(batch, task), part.length, tokens[task], task);
        await appendTopK(topk, task, ids, scores, real[task], o.topK);
      }
      progress.update({ step: 'export', done: s + part.length, total: rows.length });
      o.heartbeat?.({ done: s + part.length, total: rows.length });
      await new Promise<void>((r) => setImmediate(r)); // let heartbeats and cancellation run
    }
    const e = await emb.close();
    const t = await topk.close();
    progress.finish('export', { customers: e.rows, topk: t.rows });
    return { files: [embFile, topkFile], rows: { embeddings: e.rows, topk: t.rows }, tasks };
  } catch (err) {
    for (const sink of sinks) sink.abort();
    throw err;
  }
}

/** [B, V] scores → [B, V - RESERVED_IDS] without the reserved columns; V must be the task's vocabulary size */
function realColumns(scores: Float32Array, b: number, tokens: readonly string[], task: string): Float32Array {
  const v = tokens.length;
  if (scores.length !== b * v) {
    throw new CfmError('CFM_E_STATE', `task "${task}" gave ${scores.length / b} scores per customer for a vocabulary of ${v}`, {
      field: 'taskOutputs',
    });
  }
  const w = v - RESERVED_IDS;
  const out = new Float32Array(b * w);
  for (let r = 0; r < b; r++) out.set(scores.subarray(r * v + RESERVED_IDS, (r + 1) * v), r * w);
  return out;
}
