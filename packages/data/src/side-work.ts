/**
 * Work of the prepare on other DuckDB connections, started by its stages (prepare-stages.ts) beside the JS work: the
 * catalogue's codes, and the catalog file (its tables, and the view over the events' Parquet file).
 */
import { renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './db';
import { mark } from './debug';
import { readItemCatalogCodes, type ItemCatalogCodes } from './features';
import { EVENTS_TABLE, PARQUET, codedSql, eventsViewSql } from './ingest';

/** Work on other connections, started by the stages: the catalogue's codes, and the catalog file (with the Parquet file). */
export interface SideWork {
  /** (`nRaw` and `withItems`, when known, spare a query: the raw items and whether a catalogue was loaded) */
  codes: (nRaw?: number, withItems?: boolean) => Promise<ItemCatalogCodes>;
  /** `tables`: the catalog tables to copy (all tables of the database but the events) */
  persist: (tables: string[]) => Promise<void>;
  /** once `persist` and `codes` have started: the catalog tables copied on another connection as soon as the codes are read, unless that has started already */
  catalogTablesNow?: () => void;
  /** `persist` in two parts: the catalog tables now, and the events view once `parquet` (the file) is complete */
  persistAfter?: (tables: string[], parquet: Promise<void>) => Promise<void>;
}

/**
 * Persist the in-memory catalog: the validated events are already in Parquet (written to a temp name, renamed here to
 * `events.parquet` beside the DuckDB file); the DuckDB file gets the tables quarantine, items, users, customer_keys,
 * item_keys and a view `events` decoding that Parquet file (absolute path). Stored uncompressed (a third of the CPU of
 * DuckDB's compression, for a few MB more), in one statement (`part` 'all'): it runs through while this thread
 * computes; or in two, the tables and then the view (once the Parquet file is complete).
 */
async function persistCatalog(
  conn: DuckDBConnection,
  path: string,
  parquetTmp: string,
  tables: string[],
  part: 'all' | 'tables' | 'view' = 'all',
): Promise<void> {
  if (path === ':memory:') return;
  let sql = '';
  if (part !== 'view') sql += tables.map((t) => `CREATE TABLE catalog."${t}" AS SELECT * FROM memory."${t}";`).join(' ');
  if (part !== 'tables') {
    const parquet = resolve(dirname(path), 'events.parquet');
    renameSync(parquetTmp, parquet); // (synchronous: the statement below starts in the same turn)
    sql += ` CREATE VIEW catalog.events AS ${eventsViewSql(`(${codedSql(parquet)})`)};`;
  }
  try {
    await conn.run(`SET force_compression = 'uncompressed'; ATTACH ${sqlString(path)} AS catalog; ${sql} DETACH catalog`);
  } catch (e) {
    await conn.run('DETACH DATABASE IF EXISTS catalog');
    throw e;
  }
}

export interface SideWorkContext {
  /** the events are in the in-memory table EVENTS_TABLE (their Parquet copy is written here, on `sideConns[1]`) */
  inMemory: boolean;
  /** with the events in memory: two connections, for the codes and for the Parquet copy + catalog file */
  sideConns: DuckDBConnection[];
  onSide: <T>(fn: (conn: DuckDBConnection) => Promise<T>) => Promise<T>;
  /** keeps a promise to be settled before the database is closed */
  track: <T>(p: Promise<T>) => Promise<T>;
  /** the catalog file (':memory:': none) and the events' Parquet file under its temp name */
  dbPath: string;
  parquetTmp: string;
}

export function makeSideWork({ inMemory, sideConns, onSide, track, dbPath, parquetTmp }: SideWorkContext): SideWork {
  if (!inMemory)
    return {
      codes: (nRaw, withItems) => onSide((c) => readItemCatalogCodes(c, nRaw, withItems)),
      persist: (tables) => onSide((c) => persistCatalog(c, dbPath, parquetTmp, tables)),
      // (one connection, one step after the other: the catalog file is attached by one statement at a time)
      persistAfter: (tables, parquet) =>
        onSide(async (c) => {
          await persistCatalog(c, dbPath, parquetTmp, tables, 'tables');
          await parquet;
          await persistCatalog(c, dbPath, parquetTmp, [], 'view');
        }),
    };
  const [codesConn, persistConn] = sideConns;
  // the catalog tables are written by whichever is free first: this side connection once the Parquet copy is done,
  // or the codes' connection once the codes are read and the sequences built (catalogTablesOn); the view over the
  // Parquet file comes after both
  let tablesToCopy: string[] | undefined;
  let tablesDone: Promise<void> | undefined;
  let codes: Promise<ItemCatalogCodes> | undefined;
  const writeTables = (c: DuckDBConnection) => (tablesDone ??= persistCatalog(c, dbPath, parquetTmp, tablesToCopy!, 'tables'));
  return {
    codes: (nRaw, withItems) => (codes = track(readItemCatalogCodes(codesConn, nRaw, withItems).then((r) => (mark('side: codes'), r)))),
    // one DuckDB thread from here on: this thread runs the JS stages meanwhile (the query starts at once, from this call)
    // (the table is dropped here once copied: its memory is freed on this connection's thread, not at the close)
    persist: (tables) => {
      tablesToCopy = tables;
      return track(
        persistConn
          .run(
            `SET threads = 1;${dbPath === ':memory:' ? '' : ` COPY (SELECT * FROM ${EVENTS_TABLE}) TO ${sqlString(parquetTmp)} ${PARQUET};`}
        DROP TABLE ${EVENTS_TABLE}`,
          )
          .then(() => (mark('side: parquet written'), writeTables(persistConn)))
          .then(() => persistCatalog(persistConn, dbPath, parquetTmp, tables, 'view'))
          .then(() => mark('side: catalog written')),
      );
    },
    catalogTablesNow: () => {
      if (!tablesToCopy || !codes) return;
      track(
        codes.then(() => {
          if (!tablesDone) mark('catalog tables on the codes connection');
          return writeTables(codesConn);
        }),
      );
    },
  };
}
