/**
 * Compare two `cfm prepare` output directories: the shard / feature files and vocabularies byte for byte, the
 * manifests less their timings, dates and reader, and the catalog file's tables, `events` view and events.parquet by row
 * count and sum of row hashes (read with DuckDB; a sharded prep's events/ files through the view). Exits 1 on any difference.
 * Usage: npx tsx scripts/bench/compare-prepared.ts <dir-a> <dir-b>
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const BYTES = ['train.arrow', 'valid.arrow', 'test.arrow', 'item_features.arrow', 'vocabs.json'];

function manifest(dir: string): string {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const k of ['timingsMs', 'cpuMs', 'createdAt', 'reader', 'readerNote']) delete m[k];
  return JSON.stringify(m);
}

async function catalog(dir: string, rawParquet: boolean): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const q = async (sql: string) => (await conn.runAndReadAll(sql)).getRows().map((r) => r.map(String).join(' '));
  try {
    await conn.run(`ATTACH '${join(dir, 'catalog.duckdb')}' AS cat (READ_ONLY)`);
    const out: Record<string, string> = {};
    for (const [t] of (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'cat' ORDER BY 1`)).getRows())
      out[`table ${t}`] = (await q(`SELECT count(*), sum(hash(c::VARCHAR)) FROM cat."${t}" c`)).join();
    out['view events'] = (await q('SELECT count(*), sum(hash(e::VARCHAR)) FROM cat.events e')).join();
    // (a sharded prep's events are files in events/: compared through the view only)
    if (!rawParquet) return out;
    // (without an all-NULL `problem` column, which older ingests wrote into the 10M file)
    const parquet = `read_parquet('${join(dir, 'events.parquet')}')`;
    const all = await q(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${parquet})`);
    const cols = all.filter((c) => c !== 'problem');
    if (cols.length < all.length && (await q(`SELECT count(problem) FROM ${parquet}`))[0] !== '0')
      throw new Error(`${dir}: events.parquet has problem rows`);
    out['events.parquet'] = (await q(`SELECT count(*), ${cols.map((c) => `sum(hash("${c}"))`).join(', ')} FROM ${parquet}`)).join();
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function main(): Promise<void> {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: compare-prepared.ts <dir-a> <dir-b>');
  let same = true;
  const report = (ok: boolean, what: string) => {
    same &&= ok;
    process.stdout.write(`${ok ? 'same' : 'DIFF'} ${what}\n`);
  };
  for (const f of BYTES) report(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f);
  report(manifest(a) === manifest(b), 'manifest.json (less timings, createdAt and reader)');
  const raw = [a, b].every((d) => existsSync(join(d, 'events.parquet')));
  if (!raw) process.stdout.write('(events/ parts on one side: events.parquet compared through the view `events` only)\n');
  const [ca, cb] = [await catalog(a, raw), await catalog(b, raw)];
  for (const k of new Set([...Object.keys(ca), ...Object.keys(cb)]))
    report(ca[k] === cb[k], `${k}: ${ca[k]}${ca[k] === cb[k] ? '' : ` vs ${cb[k]}`}`);
  process.stdout.write(same ? 'ALL SAME\n' : 'DIFFERENT\n');
  process.exitCode = same ? 0 : 1;
}

void main();
