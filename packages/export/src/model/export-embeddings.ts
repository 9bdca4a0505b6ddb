import { silentProgress, type CustomerSequences, type ProgressReporter } from '@cfm/core';
import { openCustomerEmbeddings } from '../writers';
import type { SinkResult } from '../parquet-sink';
import type { LoadedModel } from './load';

export interface ExportEmbeddingsOptions {
  model: LoadedModel;
  customers: CustomerSequences;
  /** point in time: only events strictly before this date are used; also the as_of column */
  asOf: string;
  out: string;
  batchSize?: number;
  /** padded tokens per batch at most (default batchSize × 16; see exportBatches) */
  maxTokens?: number;
  progress?: ProgressReporter;
}

export interface ExportEmbeddingsResult extends SinkResult {
  /** customers with no event before the as-of date (not exported) */
  skipped: number;
  seconds: number;
  customersPerSec: number;
}

/** Point-in-time batch export of customer embeddings to one Parquet file (atomic). */
export async function exportEmbeddings(o: ExportEmbeddingsOptions): Promise<ExportEmbeddingsResult> {
  const progress = o.progress ?? silentProgress;
  const total = o.customers.customerIds.length;
  const t0 = performance.now();
  const sink = await openCustomerEmbeddings(o.out, {
    family: o.model.manifest.family,
    modelVersion: o.model.modelVersion,
    asOf: o.asOf,
    metadata: { dim: String(o.model.embeddingDim), config_hash: o.model.manifest.configHash, vocab_hash: o.model.manifest.vocabHash },
  });
  progress.start('embed', total);
  try {
    for await (const b of o.model.embedBatchesAsync(o.customers, { asOf: o.asOf, batchSize: o.batchSize, maxTokens: o.maxTokens })) {
      await sink.append({ customer_id: b.customerIds, vector: b.vectors }, b.customerIds.length);
      progress.update({ step: 'embed', done: sink.rowCount, total, info: { 'cust/s': sink.rowCount / ((performance.now() - t0) / 1000) } });
    }
  } catch (err) {
    sink.abort();
    throw err;
  }
  const res = await sink.close();
  const seconds = (performance.now() - t0) / 1000;
  const result = { ...res, skipped: total - res.rows, seconds, customersPerSec: res.rows / seconds };
  progress.finish('embed', { rows: res.rows, skipped: result.skipped, 'cust/s': Math.round(result.customersPerSec) });
  return result;
}
