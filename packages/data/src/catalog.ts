import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from './db';
import { createTables, quarantineRows, reconcile, type FileCount } from './ingest';
import { stageSource } from './sources';
import { hasControl, isNullToken, nullTokens, sqlList } from './values';

export const ITEM_COLUMNS = {
  required: ['item_id'],
  optional: ['category_1', 'category_2', 'category_3', 'category_4', 'product_line', 'brand', 'price', 'title'],
};

const ITEMS_TABLE = `items (item_id VARCHAR, category_1 VARCHAR, category_2 VARCHAR, category_3 VARCHAR,
    category_4 VARCHAR, product_line VARCHAR, brand VARCHAR, price DOUBLE, title VARCHAR)`;
const nz = (c: string) => `NULLIF(trim(${c}), '')`;
/** The `items` columns of a staged catalogue row. */
const ITEM_VALUES = `trim(item_id) AS item_id, ${ITEM_COLUMNS.optional
  .slice(0, 6)
  .map((c) => `${nz(c)} AS ${c}`)
  .join(', ')},
  TRY_CAST(price AS DOUBLE) AS price, title`;
const EMPTY_ID = (tokens: string[]) => `item_id IS NULL OR ${isNullToken('item_id', tokens)}`;
const BAD_PRICE = `price IS NOT NULL AND trim(price) <> '' AND (TRY_CAST(price AS DOUBLE) IS NULL OR TRY_CAST(price AS DOUBLE) < 0)`;

/**
 * Ingest a catalogue file into `items`; a repeated item id keeps its first row and quarantines the rest. The file is
 * read once into its final columns with the problems that need no window; only when some id repeats is it read again
 * with the duplicate check (a window over all rows, about as costly as the read itself).
 */
export async function ingestItems(conn: DuckDBConnection, file: string, tokenList?: readonly string[]): Promise<FileCount> {
  await createTables(conn);
  const fresh = !(await queryRows(conn, `SELECT 1 FROM duckdb_tables() WHERE table_name = 'items' AND NOT temporary`)).length;
  const tokens = nullTokens(tokenList);
  const src = await stageSource(conn, file, ITEM_COLUMNS.required, ITEM_COLUMNS.optional, { nullTokens: tokens });
  const problem = (dup: boolean) => `CASE
      ${src.format === 'jsonl' ? `WHEN bad_json THEN 'line|malformed JSON' WHEN json_nested IS NOT NULL THEN json_nested || '|object or array in a scalar field'` : ''}
      WHEN ${EMPTY_ID(tokens)} THEN 'item_id|null or empty id'
      WHEN ${hasControl('item_id')} THEN 'item_id|control character in id'
      WHEN ${BAD_PRICE} THEN 'price|not a non-negative number: ' || left(price, 40)
      ${dup ? `WHEN row_number() OVER (PARTITION BY trim(item_id) ORDER BY rec) > 1 THEN 'item_id|duplicate item id ' || left(item_id, 40)` : ''}
      ELSE NULL END`;
  if (fresh) {
    // the table itself, with the record numbers and problems as extra columns (dropped below: no second copy); a CSV
    // is read unnumbered, in parallel (row_number() keeps DuckDB on one thread: ~85 ms more CPU for 50k items), and a
    // row's record number is then its position in the new table (insertion order is kept, as for the events)
    await conn.run(
      `CREATE TABLE items AS SELECT ${ITEM_VALUES}, rec, ${problem(false)} AS problem FROM (${(src.unnumbered ?? src).select})`,
    );
    const [{ dups, ok }] = await queryRows(
      conn,
      `SELECT count(item_id) FILTER (WHERE item_id <> '') - count(DISTINCT item_id) FILTER (WHERE item_id <> '') AS dups,
      count(*) FILTER (WHERE problem IS NULL) AS ok FROM items`,
    );
    if (dups === 0) {
      await conn.run(
        'CREATE OR REPLACE TEMP TABLE checked AS SELECT coalesce(rec, rowid + 1) AS rec, problem FROM items WHERE problem IS NOT NULL',
      );
      const quarantined = await quarantineRows(conn, src, 'items');
      await conn.run(`DROP TABLE checked; DELETE FROM items WHERE problem IS NOT NULL;
        ALTER TABLE items DROP COLUMN rec; ALTER TABLE items DROP COLUMN problem`);
      return reconcile({ file, kind: 'items', input: await src.inputRows, accepted: ok as number, quarantined });
    }
    await conn.run('DROP TABLE items');
  }
  await conn.run(`CREATE TABLE IF NOT EXISTS ${ITEMS_TABLE}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE checked AS SELECT *, ${problem(true)} AS problem FROM (${src.select})`);
  const ins = await conn.run(`INSERT INTO items SELECT ${ITEM_VALUES} FROM checked WHERE problem IS NULL`);
  const quarantined = await quarantineRows(conn, src, 'items');
  await conn.run('DROP TABLE checked');
  return reconcile({ file, kind: 'items', input: await src.inputRows, accepted: ins.rowsChanged, quarantined });
}

/** Ingest users (customer_id + any label columns) into `users` as (customer_id, label, value). */
export async function ingestUsers(conn: DuckDBConnection, file: string, tokenList?: readonly string[]): Promise<FileCount> {
  await createTables(conn);
  await conn.run(`CREATE TABLE IF NOT EXISTS users (customer_id VARCHAR, label VARCHAR, value VARCHAR)`);
  const tokens = nullTokens(tokenList);
  const probe = await stageSource(conn, file, ['customer_id'], [], { nullTokens: tokens });
  const labels = probe.columns.filter((c) => c !== 'customer_id');
  const src = await stageSource(conn, file, ['customer_id'], labels, { nullTokens: tokens });
  await conn.run(`CREATE OR REPLACE TEMP TABLE checked AS
    SELECT *, CASE
      ${src.format === 'jsonl' ? `WHEN bad_json THEN 'line|malformed JSON' WHEN json_nested IS NOT NULL THEN json_nested || '|object or array in a scalar field'` : ''}
      WHEN customer_id IS NULL OR ${isNullToken('customer_id', tokens)} THEN 'customer_id|null or empty id'
      WHEN ${hasControl('customer_id')} THEN 'customer_id|control character in id'
      WHEN row_number() OVER (PARTITION BY trim(customer_id) ORDER BY rec) > 1 THEN 'customer_id|duplicate customer id ' || left(customer_id, 40)
      ELSE NULL END AS problem
    FROM (${src.select})`);
  const accepted = Number((await queryRows(conn, `SELECT count(*) AS n FROM checked WHERE problem IS NULL`))[0].n);
  // in file order, labels in column order (the window above does not keep the order: users.json would vary with it)
  if (labels.length)
    await conn.run(`INSERT INTO users SELECT trim(customer_id), label, value FROM
      (UNPIVOT (SELECT rec, customer_id, ${labels.map((l) => `CAST("${l}" AS VARCHAR) AS "${l}"`).join(', ')} FROM checked WHERE problem IS NULL)
       ON ${labels.map((l) => `"${l}"`).join(', ')} INTO NAME label VALUE value)
      ORDER BY rec, list_position(${sqlList(labels)}, label)`);
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
