/**
 * The row checks of the events ingest, as SQL (docs/data.md, "Validation"): each row's first problem as
 * 'field|reason', and the refusal of a file whose numeric times do not fit their unit.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, EVENT_TYPES } from '@cfm/core';
import { MS_PER_UNIT } from './config';
import { queryRows, sqlString } from './db';
import type { FileCount } from './file-count';
import { fitsUnitSql, hasControl, isNullToken, sqlList, type TimeRules } from './values';

/** ISO-8601 times (no zone = UTC) must lie in [1970, 2100). */
export const MAX_TS_MS = Date.UTC(2100, 0, 1);
/** The largest `position` / `page` (a 32-bit integer). */
const MAX_INT = 2147483647;

/** What the checks need besides the row: the null tokens and the time rules of the run. */
export interface RowRules {
  tokens: string[];
  time: TimeRules;
}

/**
 * trim(c), skipping the call (which copies every string) when it cannot change the value: pure ASCII with no space
 * at either end (DuckDB's trim also strips Unicode spaces, hence the non-ASCII test).
 */
export const tidy = (c: string) =>
  `CASE WHEN ${c} LIKE ' %' OR ${c} LIKE '% ' OR strlen(${c}) <> length(${c}) THEN trim(${c}) ELSE ${c} END`;

/** A numeric column as DOUBLE: parsed by the reader (`typed`), else cast from its text (NULL when it does not parse). */
export const numOf = (typed: Set<string>, c: string) => (typed.has(c) ? c : `TRY_CAST(${c} AS DOUBLE)`);

/** `ts_num`: a numeric time as given (finite), NULL for text; `ts_ms`: epoch ms of either (ISO-8601: no zone = UTC). */
export function tsColumns(typed: Set<string>, rules: RowRules, prefix = ''): string {
  const scale = MS_PER_UNIT[rules.time.unit];
  const num = typed.has('ts') ? `${prefix}ts` : `TRY_CAST(${prefix}ts AS DOUBLE)`;
  const iso = typed.has('ts') ? 'NULL' : `epoch_ms(TRY_CAST(${prefix}ts AS TIMESTAMPTZ))`;
  const scaled = scale === 1 ? 'n' : scale > 1 ? `n * ${scale}` : `n / ${1 / scale}`;
  return `CASE WHEN isfinite(${num}) THEN ${num} END AS ts_num,
    CASE WHEN isfinite(${num}) THEN TRY_CAST(round(${scaled.replace(/\bn\b/g, num)}) AS BIGINT) ELSE ${iso} END AS ts_ms`;
}

/** The text of a value for a message: a parsed number without a needless '.0'. */
const textOf = (typed: Set<string>, c: string) =>
  typed.has(c) ? `CASE WHEN ${c} = floor(${c}) AND abs(${c}) < 1e18 THEN CAST(${c}::BIGINT AS VARCHAR) ELSE CAST(${c} AS VARCHAR) END` : c;

/**
 * The first problem of a row as 'field|reason', NULL when the row is valid. `typed` columns arrive parsed (numbers as
 * DOUBLE); the row has `ts_num`, `ts_ms` (tsColumns) and `type_pos` (the event type's position in the list).
 * `catalog`: an item missing from the `items` table is a problem too (checked last, via the column `in_catalog`).
 * A cheap test that implies "no problem" runs first (first character of the ids above a space, no null token or
 * control character in them, the event type in the list, numbers in range), so the full checks with their trims and
 * casts only run on rows that fail it.
 */
export function problemExpr(typed: Set<string>, jsonl: boolean, catalog: boolean, rules: RowRules): string {
  const types = `[${EVENT_TYPES.map(sqlString).join(', ')}]`;
  const tokens = sqlList(rules.tokens);
  const [lo, hi] = rules.time.window;
  const unit = rules.time.unit;
  const text = (c: string) => textOf(typed, c);
  const blank = (c: string) => `(${c} IS NULL OR ${isNullToken(c, rules.tokens)})`;
  // given: not NULL and, as text, not a null token (a typed column's null tokens are NULL already)
  const given = (c: string) => (typed.has(c) ? `${c} IS NOT NULL` : `(${c} IS NOT NULL AND NOT ${isNullToken(c, rules.tokens)})`);
  const n = (c: string) => numOf(typed, c);
  // a whole number in [0, 2^31): '1.5' is a problem, not rounded ('2.0' and '2e0' are 2)
  const badInt = (c: string) =>
    `(${given(c)} AND (${n(c)} IS NULL OR NOT isfinite(${n(c)}) OR ${n(c)} < 0 OR ${n(c)} > ${MAX_INT} OR ${n(c)} <> floor(${n(c)})))`;
  const badNum = (c: string) => `(${given(c)} AND (${n(c)} IS NULL OR NOT isfinite(${n(c)}) OR ${n(c)} < 0))`;
  const intOk = (c: string) =>
    typed.has(c) ? `(${c} IS NULL OR (${c} >= 0 AND ${c} <= ${MAX_INT} AND ${c} = floor(${c})))` : `${c} IS NULL`;
  const fits = fitsUnitSql('ts_num', rules.time.window);
  const fast = [
    ...(jsonl ? ['NOT bad_json AND json_nested IS NULL'] : []),
    // a printable ASCII first character (33..127) survives trim, so the id is not blank; tested as a byte-wise string
    // range (the first byte of valid UTF-8 below chr(128) = C2 80 is ASCII), cheaper than decoding it with ascii()
    `customer_id >= '!' AND customer_id < chr(128)`,
    `item_id >= '!' AND item_id < chr(128)`,
    `NOT list_contains(${tokens}, ${tidy('customer_id')}) AND NOT list_contains(${tokens}, ${tidy('item_id')})`,
    `NOT ${hasControl(`concat(customer_id, item_id, session_id)`)}`,
    `ts_ms BETWEEN ${lo} AND ${hi}`,
    'type_pos IS NOT NULL',
    intOk('position'),
    intOk('page'),
    typed.has('price') ? '(price IS NULL OR (isfinite(price) AND price >= 0))' : 'price IS NULL',
    ...(catalog ? ['in_catalog'] : []),
  ].join(' AND ');
  return `CASE WHEN ${fast} THEN NULL ELSE CASE
    ${jsonl ? `WHEN bad_json THEN 'line|malformed JSON' WHEN json_nested IS NOT NULL THEN json_nested || '|object or array in a scalar field'` : ''}
    WHEN ${blank('customer_id')} THEN 'customer_id|null or empty id'
    WHEN ${hasControl('customer_id')} THEN 'customer_id|control character in id'
    WHEN ${blank('item_id')} THEN 'item_id|null or empty id'
    WHEN ${hasControl('item_id')} THEN 'item_id|control character in id'
    WHEN ${typed.has('ts') ? 'ts IS NULL' : blank('ts')} THEN 'ts|null or empty timestamp'
    WHEN ts_ms IS NULL THEN 'ts|unparseable timestamp "' || left(${text('ts')}, 40) || '" (want ISO-8601 or a number in epoch ${unit})'
    WHEN ts_num IS NOT NULL AND ts_ms NOT BETWEEN ${lo} AND ${hi}
      THEN 'ts|implausible time for unit ${unit} (fits ' || CASE ${fits} WHEN 'none' THEN 'no unit' ELSE 'unit ' || ${fits} END || '): ' || left(${text('ts')}, 40)
    WHEN ts_ms < 0 OR ts_ms > ${MAX_TS_MS} THEN 'ts|timestamp out of range [1970, 2100]: ' || left(${text('ts')}, 40)
    WHEN ${blank('event_type')} THEN 'event_type|null or empty event type'
    WHEN NOT list_contains(${types}, event_type) THEN 'event_type|unknown event type "' || left(event_type, 40) || '"'
    WHEN session_id IS NOT NULL AND ${hasControl('session_id')} THEN 'session_id|control character in id'
    WHEN ${badInt('position')} THEN 'position|not a non-negative integer: ' || left(${text('position')}, 40)
    WHEN ${badInt('page')} THEN 'page|not a non-negative integer: ' || left(${text('page')}, 40)
    WHEN ${badNum('price')} THEN 'price|not a non-negative number: ' || left(${text('price')}, 40)
    ${catalog ? `WHEN NOT in_catalog THEN 'item_id|item missing from the catalogue: ' || left(trim(item_id), 40)` : ''}
    ELSE NULL END END`;
}

/**
 * Refuse an events file whose numeric times mostly do not fit the unit: when it has at least as many rows
 * quarantined for an implausible time as accepted rows. The error names the unit most of those rows fit.
 */
export async function refuseImplausibleTimes(conn: DuckDBConnection, counts: FileCount[], time: TimeRules): Promise<void> {
  const rows = await implausibleTimeCounts(conn);
  const error = implausibleTimesError(counts, rows, time);
  if (error) throw error;
}

/** Per events file and unit they fit, the rows quarantined for an implausible time. */
export async function implausibleTimeCounts(conn: DuckDBConnection): Promise<ImplausibleTimes[]> {
  const rows = await queryRows(
    conn,
    `SELECT file, regexp_extract(reason, 'fits unit (\\w+)', 1) AS fits, count(*)::INTEGER AS n FROM quarantine
    WHERE kind = 'events' AND field = 'ts' AND starts_with(reason, 'implausible time') GROUP BY ALL ORDER BY n DESC, fits`,
  );
  return rows.map((r) => ({ file: String(r.file), fits: String(r.fits), n: Number(r.n) }));
}

/** Rows of one file quarantined for an implausible time that fit a unit (`fits`: '' for none). */
export interface ImplausibleTimes {
  file: string;
  fits: string;
  n: number;
}

/**
 * The refusal of refuseImplausibleTimes for counts gathered elsewhere (`rows`: ordered by n descending, then fits), or
 * undefined when no file is refused.
 */
export function implausibleTimesError(counts: FileCount[], rows: ImplausibleTimes[], time: TimeRules): CfmError | undefined {
  for (const c of counts) {
    const mine = rows.filter((r) => r.file === c.file);
    const bad = mine.reduce((a, r) => a + Number(r.n), 0);
    if (bad === 0 || bad < c.accepted) continue;
    const best = mine.find((r) => r.fits)?.fits as string | undefined;
    const [lo, hi] = time.window.map((t) => new Date(t).toISOString().slice(0, 10));
    const hint = !best
      ? 'they fit no unit (s, ms, us): check the ts column'
      : best === 'ns'
        ? 'they fit epoch nanoseconds, which are not supported: convert them to ms'
        : `they fit unit '${best}': set tsUnit: '${best}'`;
    return new CfmError(
      'CFM_E_ROW_SCHEMA',
      `${bad} of ${c.input} rows have times implausible for tsUnit '${time.unit}' (outside ${lo} .. ${hi}); ${hint}`,
      { file: c.file, field: 'ts' },
    );
  }
  return undefined;
}
