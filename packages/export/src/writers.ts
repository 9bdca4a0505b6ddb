import { ParquetSink, type SinkResult } from './parquet-sink';

/** Identity of the model that produced a file; stored in every row and in the Parquet key-value metadata. */
export interface ExportMeta {
  family: string;
  modelVersion: string;
  /** extra key-value metadata (e.g. manifest hash, embedding dim) */
  metadata?: Record<string, string>;
}

/** customer_id VARCHAR, as_of DATE, family VARCHAR, model_version VARCHAR, vector FLOAT[] */
export function openCustomerEmbeddings(path: string, meta: ExportMeta & { asOf: string }): Promise<ParquetSink> {
  return ParquetSink.open(
    path,
    [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'as_of', type: 'DATE', constant: meta.asOf },
      { name: 'family', type: 'VARCHAR', constant: meta.family },
      { name: 'model_version', type: 'VARCHAR', constant: meta.modelVersion },
      { name: 'vector', type: 'FLOAT[]' },
    ],
    { kind: 'customer_embeddings', ...meta.metadata },
  );
}

/** One-shot: customer vectors row-major [customerIds.length, dim]. */
export async function writeCustomerEmbeddings(
  path: string,
  meta: ExportMeta & { asOf: string },
  customerIds: readonly string[],
  vectors: Float32Array,
): Promise<SinkResult> {
  const sink = await openCustomerEmbeddings(path, meta);
  return fill(sink, { customer_id: customerIds, vector: vectors }, customerIds.length);
}

/** item_id VARCHAR, family VARCHAR, model_version VARCHAR, vector FLOAT[] */
export async function writeItemEmbeddings(
  path: string,
  meta: ExportMeta,
  itemIds: readonly string[],
  vectors: Float32Array,
): Promise<SinkResult> {
  const sink = await ParquetSink.open(
    path,
    [
      { name: 'item_id', type: 'VARCHAR' },
      { name: 'family', type: 'VARCHAR', constant: meta.family },
      { name: 'model_version', type: 'VARCHAR', constant: meta.modelVersion },
      { name: 'vector', type: 'FLOAT[]' },
    ],
    { kind: 'item_embeddings', ...meta.metadata },
  );
  return fill(sink, { item_id: itemIds, vector: vectors }, itemIds.length);
}

/** customer_id VARCHAR, task VARCHAR, rank INTEGER (1 = best), item_id VARCHAR, score FLOAT */
export function openTopKScores(path: string, meta: ExportMeta): Promise<ParquetSink> {
  return ParquetSink.open(
    path,
    [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'task', type: 'VARCHAR' },
      { name: 'rank', type: 'INTEGER' },
      { name: 'item_id', type: 'VARCHAR' },
      { name: 'score', type: 'FLOAT' },
    ],
    { kind: 'topk_scores', family: meta.family, model_version: meta.modelVersion, ...meta.metadata },
  );
}

/** Append one task's top-k for a batch: `scores` is [customerIds.length, candidates.length] (row-major);
 * candidate c of the row is item `itemIds[c]`. Ties keep the lower candidate index first. */
export async function appendTopK(
  sink: ParquetSink,
  task: string,
  customerIds: readonly string[],
  scores: Float32Array,
  itemIds: readonly string[],
  k: number,
): Promise<void> {
  const { indices, values, k: kk } = topK(scores, customerIds.length, itemIds.length, k);
  const n = customerIds.length * kk;
  const cust = new Array<string>(n),
    items = new Array<string>(n),
    ranks = new Int32Array(n),
    tasks = new Array<string>(n).fill(task);
  for (let r = 0; r < customerIds.length; r++) {
    for (let j = 0; j < kk; j++) {
      cust[r * kk + j] = customerIds[r];
      ranks[r * kk + j] = j + 1;
      items[r * kk + j] = itemIds[indices[r * kk + j]];
    }
  }
  await sink.append({ customer_id: cust, task: tasks, rank: ranks, item_id: items, score: values }, n);
}

/** Per-row top-k of a [rows, cols] score matrix: indices and values [rows, k], best first. */
export function topK(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
): { indices: Int32Array; values: Float32Array; k: number } {
  const kk = Math.min(k, cols);
  const indices = new Int32Array(rows * kk);
  const values = new Float32Array(rows * kk);
  for (let r = 0; r < rows; r++) {
    const base = r * cols,
      out = r * kk;
    let filled = 0;
    for (let c = 0; c < cols; c++) {
      const s = scores[base + c];
      if (filled === kk && !(s > values[out + kk - 1])) continue;
      let pos = filled < kk ? filled++ : kk - 1;
      while (pos > 0 && s > values[out + pos - 1]) {
        values[out + pos] = values[out + pos - 1];
        indices[out + pos] = indices[out + pos - 1];
        pos--;
      }
      values[out + pos] = s;
      indices[out + pos] = c;
    }
  }
  return { indices, values, k: kk };
}

async function fill(sink: ParquetSink, data: Parameters<ParquetSink['append']>[0], rows: number): Promise<SinkResult> {
  try {
    await sink.append(data, rows);
  } catch (err) {
    sink.abort();
    throw err;
  }
  return sink.close();
}
