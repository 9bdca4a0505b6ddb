import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createRng } from '@cfm/core';
import { appendTopK, openTopKScores, topK, writeCustomerEmbeddings, writeItemEmbeddings } from './writers';
import { ParquetSink } from './parquet-sink';

const dir = mkdtempSync(join(tmpdir(), 'cfm-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function query(sql: string): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowsJson() as unknown[][];
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

async function readWithHyparquet(path: string): Promise<Record<string, unknown>[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const buf = readFileSync(path);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return parquetReadObjects({ file });
}

describe('parquet writers', () => {
  const rng = createRng(7);
  const n = 5000,
    dim = 8;
  const ids = Array.from({ length: n }, (_, i) => `cust-${i}`);
  const vectors = Float32Array.from({ length: n * dim }, () => rng.normal());

  it('writes customer embeddings that DuckDB and an independent Parquet reader read back exactly', async () => {
    const path = join(dir, 'emb.parquet');
    const res = await writeCustomerEmbeddings(path, { family: 'bert4rec', modelVersion: 'v1', asOf: '2024-03-01' }, ids, vectors);
    expect(res.rows).toBe(n);
    const [[count, asOf, fam, len]] = await query(
      `SELECT count(*), min(as_of)::VARCHAR, min(family), min(len(vector)) FROM read_parquet('${path}')`,
    );
    expect([Number(count), asOf, fam, Number(len)]).toEqual([n, '2024-03-01', 'bert4rec', dim]);
    const [[id, v]] = await query(`SELECT customer_id, vector FROM read_parquet('${path}') WHERE customer_id = 'cust-4321'`);
    expect(id).toBe('cust-4321');
    expect(v).toEqual(Array.from(vectors.subarray(4321 * dim, 4322 * dim)));
    const rows = await readWithHyparquet(path);
    expect(rows.length).toBe(n);
    expect(rows[17].customer_id).toBe('cust-17');
    expect((rows[17].vector as number[]).map((x) => Math.fround(x))).toEqual(Array.from(vectors.subarray(17 * dim, 18 * dim)));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes item embeddings with the key-value metadata', async () => {
    const path = join(dir, 'items.parquet');
    await writeItemEmbeddings(
      path,
      { family: 'mcm', modelVersion: 'v2', metadata: { dim: String(dim) } },
      ids.slice(0, 10),
      vectors.subarray(0, 10 * dim),
    );
    const meta = await query(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}') ORDER BY 1`);
    expect(meta).toContainEqual(['dim', String(dim)]);
    expect(meta).toContainEqual(['kind', 'item_embeddings']);
  });

  it('keeps the top-k per customer, best first', async () => {
    const scores = Float32Array.from([0.1, 0.9, 0.5, 0.7, 3, 2, 1, 0]);
    const { indices, values } = topK(scores, 2, 4, 2);
    expect(Array.from(indices)).toEqual([1, 3, 0, 1]);
    expect(Array.from(values)).toEqual([Math.fround(0.9), Math.fround(0.7), 3, 2]);
    const path = join(dir, 'topk.parquet');
    const sink = await openTopKScores(path, { family: 'bert4rec', modelVersion: 'v1' });
    await appendTopK(sink, 'next_item', ['a', 'b'], scores, ['i0', 'i1', 'i2', 'i3'], 3);
    await sink.close();
    const rows = await query(`SELECT customer_id, task, rank, item_id FROM read_parquet('${path}') ORDER BY customer_id, rank`);
    expect(rows).toEqual([
      ['a', 'next_item', 1, 'i1'],
      ['a', 'next_item', 2, 'i3'],
      ['a', 'next_item', 3, 'i2'],
      ['b', 'next_item', 1, 'i0'],
      ['b', 'next_item', 2, 'i1'],
      ['b', 'next_item', 3, 'i2'],
    ]);
  });

  it('leaves no file behind when an append fails, and names the bad field', async () => {
    const path = join(dir, 'bad.parquet');
    const bad = Float32Array.from([1, Number.NaN]);
    await expect(writeCustomerEmbeddings(path, { family: 'f', modelVersion: 'v', asOf: '2024-01-01' }, ['a'], bad)).rejects.toThrow(
      /bad\.parquet:0 field "vector": non-finite/,
    );
    expect(readdirSync(dir)).not.toContain('bad.parquet');
    await expect(ParquetSink.open(path, [{ name: 'd', type: 'DATE', constant: '2024/01/01' }])).rejects.toThrow(/CFM_E_CONFIG/);
  });
});

describe('parquetStats', () => {
  it('re-reads counts and vector lengths', async () => {
    const { parquetStats } = await import('./inspect');
    const path = join(dir, 'stats.parquet');
    await writeCustomerEmbeddings(path, { family: 'f', modelVersion: 'v', asOf: '2024-01-01' }, ['a', 'b', 'c'], new Float32Array(12));
    expect(await parquetStats(path)).toEqual({ rows: 3, customers: 3, minDim: 4, maxDim: 4 });
  });
});
