import { DuckDBInstance } from '@duckdb/node-api';

/** Re-read a Parquet file with DuckDB's read_parquet: rows, distinct customers (when there is a
 * customer_id column) and the vector length range (when there is a vector column). */
export async function parquetStats(path: string): Promise<{ rows: number; customers?: number; minDim?: number; maxDim?: number }> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    const src = `read_parquet('${path.replace(/'/g, "''")}')`;
    const cols = (await con.runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${src})`)).getRowsJS().map((r) => r[0]);
    const sel = ['count(*)::DOUBLE'];
    if (cols.includes('customer_id')) sel.push('count(DISTINCT customer_id)::DOUBLE');
    if (cols.includes('vector')) sel.push('min(len(vector))::DOUBLE', 'max(len(vector))::DOUBLE');
    const row = (await con.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${src}`)).getRowsJS()[0] as number[];
    let i = 1;
    return {
      rows: row[0],
      customers: cols.includes('customer_id') ? row[i++] : undefined,
      ...(cols.includes('vector') ? { minDim: row[i++], maxDim: row[i++] } : {}),
    };
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}
