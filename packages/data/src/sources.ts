import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError } from '@cfm/core';
import { queryRows, sqlString } from './db';
import { assertReadable, countNonBlankLines, formatOf, readCsvHeader, type FileFormat } from './files';
import { nullTokens, snippet, sqlList, unlessNullToken } from './values';

/** A contract file read as text columns, with its record number and an independent input count. */
export interface StagedSource {
  file: string;
  format: FileFormat;
  /** SELECT yielding `rec` (1-based record number) and every present column as VARCHAR */
  select: string;
  /** the same rows again without recording parser rejects (for a second scan) */
  rescan: string;
  /**
   * CSV only: `select` with `rec` NULL. Numbering rows with row_number() OVER () keeps the scan on one thread;
   * without it DuckDB reads the file in parallel (order is still kept, so the numbers can be recovered).
   */
  unnumbered?: { select: string };
  /** the columns the file has */
  columns: string[];
  /** rows in the input, counted independently of the parser (a text file is counted while DuckDB reads it) */
  inputRows: Promise<number>;
  /** table with parser rejects (CSV only): line, column_name, error_type, error_message */
  rejectsTable?: string;
  /** 1 when the file has a header line (line = rec + header + rejected lines before) */
  headerLines: number;
  /** columns read with their own type (CSV fast path); all others are VARCHAR */
  typedColumns: string[];
}

let seq = 0;

/** How stageSource reads a file's values. */
export interface StageOptions {
  /** CSV only: columns read with a DuckDB type instead of VARCHAR (a value that does not parse becomes a CAST reject) */
  typed?: Record<string, string>;
  /** CSV only: the file's countNonBlankLines, when the caller started it already */
  lines?: Promise<number>;
  /** strings read as null in every column (exactly in CSV, after trimming in JSONL and Parquet; nullTokens()) */
  nullTokens?: readonly string[];
}

/** Inspect a file, check its required columns and return how to read it as text. */
export async function stageSource(
  conn: DuckDBConnection,
  file: string,
  required: string[],
  optional: string[],
  opts: StageOptions = {},
): Promise<StagedSource> {
  const typed = opts.typed ?? {};
  const tokens = nullTokens(opts.nullTokens);
  await assertReadable(file);
  const format = formatOf(file);
  const id = ++seq;
  const known = [...required, ...optional];
  let columns: string[];
  let select: string;
  let rescan: string | undefined;
  let unnumbered: StagedSource['unnumbered'];
  let inputRows: Promise<number>;
  let rejectsTable: string | undefined;
  let headerLines = 0;
  let typedColumns: string[] = [];
  if (format === 'csv') {
    const delim = file.endsWith('.tsv') ? '\t' : ',';
    columns = await readCsvHeader(file, delim);
    if (new Set(columns).size !== columns.length)
      throw new CfmError('CFM_E_FILE', `repeated column names in header: ${snippet(columns.join(', '))}`, { file });
    rejectsTable = `rejects_${id}`;
    const types = columns.map((c) => `${sqlString(c)}: ${sqlString(typed[c] ?? 'VARCHAR')}`).join(', ');
    typedColumns = columns.filter((c) => typed[c]);
    // the null tokens as the reader's null strings (exact matches, cheap; padded ones are the checks' business)
    const nulls = `nullstr=${sqlList(tokens)}`;
    const reader = (
      store: boolean,
    ) => `read_csv(${sqlString(file)}, columns={${types}}, header=true, auto_detect=false, delim=${sqlString(delim)}, quote='"', escape='"',
      ${nulls}, ignore_errors=true${store ? `, store_rejects=true, rejects_table='${rejectsTable}', rejects_scan='rejscan_${id}'` : ''})`;
    const cols = projection(columns, known, (c) => `"${c}"`);
    select = `SELECT row_number() OVER () AS rec, ${cols} FROM ${reader(true)}`;
    rescan = `SELECT row_number() OVER () AS rec, ${cols} FROM ${reader(false)}`;
    unnumbered = { select: `SELECT NULL::BIGINT AS rec, ${cols} FROM ${reader(true)}` };
    inputRows = (opts.lines ?? countNonBlankLines(file)).then((n) => n - 1);
    headerLines = 1;
  } else if (format === 'parquet') {
    const reader = `read_parquet(${sqlString(file)})`;
    const described = await describe(conn, `SELECT * FROM ${reader}`, file);
    columns = described.map((d) => d.name);
    // a list, struct, map or union column where the contract has a scalar: the file does not match it
    const nested = described.find((d) => known.includes(d.name) && /\[\]$|^(STRUCT|MAP|UNION)\b/i.test(d.type));
    if (nested)
      throw new CfmError('CFM_E_ROW_SCHEMA', `column has a nested type (${snippet(nested.type)}); the contract wants a scalar`, {
        file,
        field: nested.name,
      });
    const text = (c: string) => unlessNullToken(`CAST("${c}" AS VARCHAR)`, tokens);
    select = `SELECT row_number() OVER () AS rec, ${projection(columns, known, text)} FROM ${reader}`;
    inputRows = Promise.resolve(
      Number((await queryRows(conn, `SELECT sum(num_rows) AS n FROM parquet_file_metadata(${sqlString(file)})`))[0].n),
    );
  } else {
    // JSONL: read raw lines and parse in SQL, so malformed lines get quarantined rather than dropped
    const lines = `read_csv(${sqlString(file)}, columns={'line': 'VARCHAR'}, header=false, delim=E'\\x1f', quote='', escape='', auto_detect=false)`;
    const keys = await queryRows(
      conn,
      `SELECT DISTINCT unnest(json_keys(line)) AS k FROM (SELECT line FROM ${lines} WHERE json_valid(line) LIMIT 10000)`,
    );
    columns = keys.map((r) => String(r.k));
    // a value is its text (->>): an object or an array there would be read as its JSON text, so the first such field
    // is named in `json_nested` (the row is quarantined); null tokens are null
    const present = known.filter((c) => columns.includes(c));
    const value = (c: string) => unlessNullToken(`line->>'${c}'`, tokens);
    const cols = known.map((c) =>
      columns.includes(c) ? `CASE WHEN json_valid(line) THEN ${value(c)} END AS "${c}"` : `NULL::VARCHAR AS "${c}"`,
    );
    const nestedField = present.length
      ? `CASE WHEN json_valid(line) THEN CASE ${present.map((c) => `WHEN json_type(line, '$.${c}') IN ('OBJECT', 'ARRAY') THEN '${c}'`).join(' ')} END END`
      : 'NULL::VARCHAR';
    select = `SELECT row_number() OVER () AS rec, NOT json_valid(line) AS bad_json, ${nestedField} AS json_nested, ${cols.join(', ')} FROM ${lines}`;
    inputRows = countNonBlankLines(file);
  }
  inputRows.catch(() => undefined); // awaited at reconciliation; a staging that is dropped must not leave an unhandled rejection
  const missing = required.filter((c) => !columns.includes(c));
  if (missing.length)
    throw new CfmError('CFM_E_MISSING_COLUMN', `required column missing (file has: ${snippet(columns.join(', '))})`, {
      file,
      field: missing[0],
    });
  return { file, format, select, rescan: rescan ?? select, unnumbered, columns, inputRows, rejectsTable, headerLines, typedColumns };
}

async function describe(conn: DuckDBConnection, sql: string, file: string): Promise<Array<{ name: string; type: string }>> {
  try {
    const rows = await queryRows(conn, `DESCRIBE ${sql}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (e) {
    // (DuckDB's message may quote the file's bytes: a short escaped part of it only)
    throw new CfmError('CFM_E_FILE', `cannot read: ${snippet((e as Error).message.split('\n')[0], 120)}`, { file });
  }
}

/** Select the known columns (`value` of each present one), NULL for the absent optional ones. */
function projection(columns: string[], known: string[], value: (c: string) => string): string {
  return known.map((c) => (columns.includes(c) ? `${value(c)} AS "${c}"` : `NULL::VARCHAR AS "${c}"`)).join(', ');
}

/** Parser rejects of a CSV source as (line, field, reason), one row per rejected line. */
export function rejectsSelect(src: StagedSource): string | undefined {
  if (!src.rejectsTable) return undefined;
  return `SELECT line, arg_min(column_name, column_idx) AS field, string_agg(DISTINCT error_type || ': ' || error_message, '; ' ORDER BY error_type || ': ' || error_message) AS reason
          FROM ${src.rejectsTable} GROUP BY line`;
}
