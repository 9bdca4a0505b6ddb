import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from './db';
import { createTables, quarantineRows, reconcile, type FileCount } from './ingest';
import { stageSource } from './sources';

export const ITEM_COLUMNS = {
  required: ['item_id'],
  optional: ['category_1', 'category_2', 'category_3', 'category_4', 'product_line', 'brand', 'price', 'title'],
};

/** Ingest a catalogue file into `items`; a repeated item id keeps its first row and quarantines the rest. */
export async function ingestItems(conn: DuckDBConnection, file: string): Promise<FileCount> {
  await createTables(conn);
  await conn.run(`CREATE TABLE IF NOT EXISTS items (item_id VARCHAR, category_1 VARCHAR, category_2 VARCHAR, category_3 VARCHAR,
    category_4 VARCHAR, product_line VARCHAR, brand VARCHAR, price DOUBLE, title VARCHAR)`);
  const src = await stageSource(conn, file, ITEM_COLUMNS.required, ITEM_COLUMNS.optional);
  await conn.run(`CREATE OR REPLACE TEMP TABLE checked AS
    SELECT *, CASE
      ${src.format === 'jsonl' ? `WHEN bad_json THEN 'line|malformed JSON'` : ''}
      WHEN item_id IS NULL OR trim(item_id) = '' THEN 'item_id|null or empty id'
      WHEN price IS NOT NULL AND trim(price) <> '' AND (TRY_CAST(price AS DOUBLE) IS NULL OR TRY_CAST(price AS DOUBLE) < 0)
        THEN 'price|not a non-negative number: ' || left(price, 40)
      WHEN row_number() OVER (PARTITION BY trim(item_id) ORDER BY rec) > 1
        THEN 'item_id|duplicate item id ' || left(item_id, 40)
      ELSE NULL END AS problem
    FROM (${src.select})`);
  const nz = (c: string) => `NULLIF(trim(${c}), '')`;
  const ins = await conn.run(`INSERT INTO items SELECT trim(item_id), ${nz('category_1')}, ${nz('category_2')}, ${nz('category_3')},
      ${nz('category_4')}, ${nz('product_line')}, ${nz('brand')}, TRY_CAST(price AS DOUBLE), title FROM checked WHERE problem IS NULL`);
  const quarantined = await quarantineRows(conn, src, 'items');
  await conn.run('DROP TABLE checked');
  return reconcile({ file, kind: 'items', input: await src.inputRows, accepted: ins.rowsChanged, quarantined });
}

/** Ingest users (customer_id + any label columns) into `users` as (customer_id, label, value). */
export async function ingestUsers(conn: DuckDBConnection, file: string): Promise<FileCount> {
  await createTables(conn);
  await conn.run(`CREATE TABLE IF NOT EXISTS users (customer_id VARCHAR, label VARCHAR, value VARCHAR)`);
  const probe = await stageSource(conn, file, ['customer_id'], []);
  const labels = probe.columns.filter((c) => c !== 'customer_id');
  const src = await stageSource(conn, file, ['customer_id'], labels);
  await conn.run(`CREATE OR REPLACE TEMP TABLE checked AS
    SELECT *, CASE
      ${src.format === 'jsonl' ? `WHEN bad_json THEN 'line|malformed JSON'` : ''}
      WHEN customer_id IS NULL OR trim(customer_id) = '' THEN 'customer_id|null or empty id'
      WHEN row_number() OVER (PARTITION BY trim(customer_id) ORDER BY rec) > 1 THEN 'customer_id|duplicate customer id ' || left(customer_id, 40)
      ELSE NULL END AS problem
    FROM (${src.select})`);
  const accepted = Number((await queryRows(conn, `SELECT count(*) AS n FROM checked WHERE problem IS NULL`))[0].n);
  if (labels.length)
    await conn.run(`INSERT INTO users SELECT trim(customer_id), label, value FROM
      (UNPIVOT (SELECT customer_id, ${labels.map((l) => `CAST("${l}" AS VARCHAR) AS "${l}"`).join(', ')} FROM checked WHERE problem IS NULL)
       ON ${labels.map((l) => `"${l}"`).join(', ')} INTO NAME label VALUE value)`);
  const quarantined = await quarantineRows(conn, src, 'users');
  await conn.run('DROP TABLE checked');
  return reconcile({ file, kind: 'users', input: await src.inputRows, accepted, quarantined });
}

/** users table → { customerId: { label: value } }, numeric strings as numbers. */
export async function readUserLabels(conn: DuckDBConnection): Promise<Record<string, Record<string, string | number>>> {
  const out: Record<string, Record<string, string | number>> = {};
  for (const r of await queryRows(conn, `SELECT customer_id, label, value FROM users WHERE value IS NOT NULL`)) {
    const v = String(r.value);
    const n = Number(v);
    (out[String(r.customer_id)] ??= {})[String(r.label)] = v.trim() !== '' && Number.isFinite(n) ? n : v;
  }
  return out;
}
