import { DuckDBInstance } from '@duckdb/node-api';
import { UMAP } from 'umap-js';
import { createRng, type ProgressReporter, silentProgress } from '@cfm/core';

export interface UmapPoint {
  customerId: string;
  x: number;
  y: number;
  label: string;
}

/** Read up to `maxPoints` customers (a deterministic sample by hash of the id) from an embeddings
 * Parquet file, project them to 2-D with UMAP (seeded), and attach a label to each. */
export async function umapFromParquet(
  file: string,
  labelOf: (customerId: string) => string,
  opts: { maxPoints?: number; seed?: number; progress?: ProgressReporter } = {},
): Promise<UmapPoint[]> {
  const progress = opts.progress ?? silentProgress;
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  let ids: string[], vectors: number[][];
  try {
    const esc = file.replace(/'/g, "''");
    const reader = await con.runAndReadAll(
      `SELECT customer_id, vector FROM read_parquet('${esc}') ORDER BY hash(customer_id || '${opts.seed ?? 0}') LIMIT ${opts.maxPoints ?? 2000}`,
    );
    const rows = reader.getRowsJS() as Array<[string, number[]]>;
    ids = rows.map((r) => r[0]);
    vectors = rows.map((r) => r[1]);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
  if (vectors.length < 5) return [];
  const rng = createRng(opts.seed ?? 0);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, vectors.length - 1), minDist: 0.1, random: () => rng.next() });
  const epochs = umap.initializeFit(vectors);
  progress.start('umap', epochs);
  for (let e = 0; e < epochs; e++) {
    umap.step();
    if (e % 20 === 0) progress.update({ step: 'umap', done: e, total: epochs });
  }
  progress.finish('umap', { points: vectors.length });
  const xy = umap.getEmbedding();
  return ids.map((id, i) => ({ customerId: id, x: xy[i][0], y: xy[i][1], label: labelOf(id) }));
}
