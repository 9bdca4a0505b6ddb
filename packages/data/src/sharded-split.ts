/**
 * Step 1 of the sharded prep: the contract files split into n shards by a hash of the (trimmed) customer id, each row
 * with its file and record number, as the reader gave it (text, or the typed CSV read's numbers); the catalogue, the
 * users and the parser's rejects, which belong to no customer, go to common/. Streamed by DuckDB (bounded memory).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, silentProgress, type ProgressReporter } from '@cfm/core';
import { ingestItems, ingestUsers } from './catalog';
import { tidy } from './checks';
import { parsePrepareConfig, type PrepareConfigInput } from './config';
import { openDatabase, queryNumber, sqlString, withConnection } from './db';
import { assertReadable, countNonBlankLines, csvColumnLooksInteger, formatOf } from './files';
import { EVENT_COLUMNS, PARQUET, TYPED_COLUMNS, createTables, quarantineRows } from './ingest';
import type { ContractSources } from './prepare';
import { quarantineRawLines } from './reconcile';
import { rejectsSelect, stageSource, type StagedSource } from './sources';
import { nullTokens, timeRules } from './values';
import { writeJson } from './sharded-io';
import { paths, type SplitFile, type SplitResult } from './sharded-types';

export interface SplitSourcesOptions {
  sources: ContractSources;
  /** shards (1 ..  1024) */
  n: number;
  /** the split folder (made; what an earlier split left there is replaced) */
  out: string;
  config?: PrepareConfigInput;
  threads?: number;
  /** DuckDB memory limit (default '1GB'; spills to <out>/.duckdb-tmp above it) */
  memoryLimit?: string;
  progress?: ProgressReporter;
}

/** Split the contract files into n shard folders (see the file comment); returns what the later steps need. */
export async function splitSources(opts: SplitSourcesOptions): Promise<SplitResult> {
  const config = parsePrepareConfig(opts.config);
  const progress = opts.progress ?? silentProgress;
  const { n, sources } = opts;
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new CfmError('CFM_E_CONFIG', `shards must be a whole number in [1, 1024], got ${n}`, { field: 'n' });
  if (!sources.events.length) throw new CfmError('CFM_E_CONFIG', 'no event files given', { field: 'sources.events' });
  const dir = resolve(opts.out);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir))
    if (name === 'common' || name === 'global' || name === 'split.json' || name.startsWith('shard-') || name.startsWith('.'))
      await rm(join(dir, name), { recursive: true, force: true });
  const shards = Array.from({ length: n }, (_, k) => paths.shard(dir, k));
  await Promise.all([paths.common(dir), ...shards].map((d) => mkdir(d, { recursive: true })));
  const tempDir = join(dir, '.duckdb-tmp');
  await mkdir(tempDir, { recursive: true });
  const time = timeRules(config.tsUnit);
  const tokens = nullTokens(config.nullTokens);
  const db = await openDatabase(':memory:', opts.threads, { limit: opts.memoryLimit ?? '1GB', tempDir });
  try {
    return await withConnection(db, async (conn) => {
      await createTables(conn);
      progress.start('split sources', sources.events.length + 1);
      const catalog = [
        ...(sources.items ? [await ingestItems(conn, sources.items, tokens)] : []),
        ...(sources.users ? [await ingestUsers(conn, sources.users, tokens)] : []),
      ];
      if (sources.items) await conn.run(`COPY items TO ${sqlString(paths.commonItems(dir))} ${PARQUET}`);
      if (sources.users) await conn.run(`COPY users TO ${sqlString(paths.commonUsers(dir))} ${PARQUET}`);
      if (sources.raw) await quarantineRawLines(conn, sources.raw);
      const files: SplitFile[] = [];
      for (const [fileId, file] of sources.events.entries()) {
        files.push(await splitFile(conn, file, fileId, dir, n, tokens));
        progress.update({ step: 'split sources', done: fileId + 1, total: sources.events.length + 1, info: { rows: files[fileId].input } });
      }
      await conn.run(`COPY (SELECT * FROM quarantine) TO ${sqlString(paths.commonQuarantine(dir))} ${PARQUET}`);
      const result: SplitResult = {
        dir,
        n,
        config,
        nowMs: time.nowMs,
        files,
        catalog,
        ...(sources.raw ? { raw: sources.raw.map(({ quarantine, ...r }) => ({ ...r, quarantined: quarantine.length })) } : {}),
        hasItems: !!sources.items,
        hasUsers: !!sources.users,
        shards,
      };
      await writeJson(paths.splitJson(dir), result);
      progress.finish('split sources', { files: files.length, shards: n });
      return result;
    });
  } finally {
    db.closeSync();
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * One events file into the shards: staged as the ingest stages it (a CSV read typed first and again as text if the
 * typed read rejects a value), every row with its record number (row_number() over the reader's rows, as the ingest
 * numbers them) and shard, written as Parquet partitions in one streamed pass. (Reading a CSV unnumbered in parallel
 * into one Parquet file and partitioning that, numbered by position, took ~1.5x the CPU at 10M rows here.)
 */
async function splitFile(
  conn: DuckDBConnection,
  file: string,
  fileId: number,
  dir: string,
  n: number,
  tokens: string[],
): Promise<SplitFile> {
  const { required, optional } = EVENT_COLUMNS;
  const partsDir = join(dir, `.split-f${fileId}-parts`);
  const shardOf = `(hash(${tidy('customer_id')}) % ${n})::INTEGER AS shard`;
  const partitioned = `(FORMAT parquet, COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 0, PARTITION_BY (shard), OVERWRITE_OR_IGNORE)`;
  let src: StagedSource;
  await assertReadable(file);
  if (formatOf(file) === 'csv') {
    const delim = file.endsWith('.tsv') ? '\t' : ',';
    const fastTyped = { ...TYPED_COLUMNS, ...((await csvColumnLooksInteger(file, 'ts', delim)) ? { ts: 'DOUBLE' } : {}) };
    const lines = countNonBlankLines(file);
    lines.catch(() => undefined); // (awaited by the reconciliation below; a file that cannot be read is reported by the staging)
    for (const typed of [fastTyped, {}]) {
      src = await stageSource(conn, file, required, optional, { typed, nullTokens: tokens, lines });
      await conn.run(`COPY (SELECT *, ${shardOf} FROM (${src.select})) TO ${sqlString(partsDir)} ${partitioned}`);
      if (!(
        src.typedColumns.length &&
        src.rejectsTable &&
        (await queryNumber(conn, `SELECT count(*) FROM ${src.rejectsTable} WHERE error_type = 'CAST'`)) > 0
      ))
        break;
      await rm(partsDir, { recursive: true, force: true }); // a value the typed reader could not parse: read as text
    }
  } else {
    src = await stageSource(conn, file, required, optional, { nullTokens: tokens });
    await conn.run(`COPY (SELECT *, ${shardOf} FROM (${src.select})) TO ${sqlString(partsDir)} ${partitioned}`);
  }
  src = src!;
  // the partitions into the shard folders
  for (let k = 0; k < n; k++) {
    const from = join(partsDir, `shard=${k}`);
    const names = await readdir(from).catch(() => [] as string[]);
    if (!names.length) continue;
    const to = paths.shardFile(paths.shard(dir, k), fileId);
    await mkdir(to, { recursive: true });
    for (const name of names) await rename(join(from, name), join(to, name));
  }
  await rm(partsDir, { recursive: true, force: true });
  // the parser's rejects: quarantined here; their lines go to common/ (a shard's quarantined row finds its line from them)
  await conn.run('CREATE OR REPLACE TEMP TABLE checked (rec BIGINT, problem VARCHAR)');
  const rejected = await quarantineRows(conn, src, 'events');
  await conn.run('DROP TABLE checked');
  const rej = rejectsSelect(src);
  if (rejected && rej)
    await conn.run(
      `COPY (SELECT line - ${src.headerLines} - row_number() OVER (ORDER BY line) AS a FROM (${rej})) TO ${sqlString(paths.rejects(dir, fileId))} ${PARQUET}`,
    );
  return {
    fileId,
    file: src.file,
    format: src.format,
    typed: src.typedColumns,
    headerLines: src.headerLines,
    input: await src.inputRows,
    rejected,
  };
}
