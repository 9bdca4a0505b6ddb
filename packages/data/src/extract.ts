import type { DuckDBConnection } from '@duckdb/node-api';
import { chunkViews, columnsOf, copyNumericResult, queryNumber, readStringColumns, type ChunkView, type ColumnKind } from './db';
import type { DuckDBMaterializedResult } from '@duckdb/node-api';
import type { SortedEvents } from './split';
import { EVENTS_CODED } from './ingest';
import { mark } from './debug';

export interface ExtractedEvents {
  events: SortedEvents;
  /** customer index → id (sorted) */
  customerIds: string[];
  /** raw item index → id (sorted) */
  itemKeys: string[];
  /**
   * the copied (unsorted) columns, free once sorted: memory already touched, for per-event arrays built later
   * (SequenceContext.scratch), so that they need no fresh pages
   */
  scratch: { int32: Int32Array[]; float64: Float64Array[] };
}

/**
 * Read the validated events (`events_coded`, written by ingestEvents) sorted by (customer, time, input order) as
 * typed arrays. Customers and items become dense indices over their sorted distinct ids (`customer_keys`,
 * `item_keys`, built by the ingest; hash joins); the rows come back in any order and are sorted here: a counting
 * sort by customer, then each customer's rows by (time, file, record) — usually already in order. `onResult` is
 * called once DuckDB has the joined result (the events file is no longer read), before the copy into JS.
 */
export async function extractSortedEvents(conn: DuckDBConnection, withSessions = false, onResult?: () => void): Promise<ExtractedEvents> {
  const n = await queryNumber(conn, `SELECT count(*) FROM ${EVENTS_CODED}`);
  const [customerIds] = await readStringColumns(conn, 'customer_keys', ['customer_id'], 'cix');
  mark('x: count, customer ids');
  const [itemKeys] = await readStringColumns(conn, 'item_keys', ['item_id'], 'iix');
  mark('x: item ids');
  // (-1 for no session id: hash(NULL) is a number, which made every event without one part of one given session)
  const session = withSessions ? `, CASE WHEN session_id IS NULL THEN -1 ELSE (hash(session_id) % 2147483647)::INTEGER END` : '';
  // input order: (file_id, rec) packed into one exact double (rec < 2^32). The joins as written: the key tables are
  // the build sides (DuckDB has no good size estimate here and may otherwise build on the events)
  // (a global setting: reset as soon as the query has run, before other connections get to work in `onResult`)
  await conn.run(`SET disabled_optimizers = 'join_order,build_side_probe_side'`);
  let reset = false;
  const afterQuery = async () => {
    mark('x: query done');
    await conn.run('RESET disabled_optimizers');
    reset = true;
    onResult?.();
  };
  const kinds: ColumnKind[] = withSessions
    ? ['int32', 'int32', 'int32', 'float64', 'float64', 'int32']
    : ['int32', 'int32', 'int32', 'float64', 'float64'];
  let result: DuckDBMaterializedResult;
  try {
    // materialised: ~30% faster at 10M than streaming; the result (~30 bytes per event) fits the memory budget
    result = await conn.run(
      `SELECT cix, iix, type::INTEGER, ts::DOUBLE, (file_id::DOUBLE * 4294967296 + rec::DOUBLE) ${session}
       FROM ${EVENTS_CODED} JOIN customer_keys USING (customer_id) JOIN item_keys USING (item_id)`,
    );
    await afterQuery(); // DuckDB's part is done: other connections can use the cores while JS copies and sorts
  } finally {
    if (!reset) await conn.run('RESET disabled_optimizers');
  }
  const nc = customerIds.length;
  // a result of up to ~2M rows is sorted straight from DuckDB's chunks (no unsorted copy in JS); larger ones are
  // copied into JS arrays first (fetched chunk by chunk), then sorted the same way
  const views = chunkViews(result, kinds);
  let sorted: ReturnType<typeof sortChunks>;
  let scratch: ExtractedEvents['scratch'];
  if (views) {
    mark('x: chunks');
    await new Promise<void>((resolve) => setImmediate(resolve)); // a turn for the work on other connections
    sorted = sortChunks(views, nc, withSessions);
    scratch = { int32: [], float64: [sorted.ord] };
  } else {
    const cols =
      (await copyNumericResult(result, kinds, n)) ?? ((await columnsOf(result, kinds, n, true)) as Array<Int32Array | Float64Array>);
    mark('x: copied');
    await new Promise<void>((resolve) => setImmediate(resolve)); // a turn for the work on other connections
    sorted = sortChunks([{ rows: n, cols, chunk: undefined }], nc, withSessions);
    scratch = {
      int32: [cols[0] as Int32Array, cols[1] as Int32Array, cols[2] as Int32Array],
      float64: [cols[3] as Float64Array, cols[4] as Float64Array],
    };
  }
  const { custStart, item, type, tsMs, session: sessionOut, tsRange } = sorted;
  const events: SortedEvents = { n, custStart, item, type, tsMs, session: sessionOut, tsRange };
  mark('x: sorted');
  return { events, customerIds, itemKeys, scratch };
}

/**
 * Rows given as chunks of columns (cix, iix, type, ts, ord[, session]) sorted by (customer, ts, ord): the rows per
 * customer are counted, each row is written straight to its customer's next slot (a stable counting sort), then the
 * customers whose rows did not arrive in (ts, ord) order are sorted. Returns the `ord` column too (in counting-sort
 * order: free for reuse afterwards).
 */
function sortChunks(chunks: ChunkView[], nc: number, withSessions: boolean) {
  const custStart = new Int32Array(nc + 1);
  let n = 0;
  for (const { rows, cols } of chunks) {
    const cust = cols[0];
    for (let i = 0; i < rows; i++) custStart[cust[i] + 1]++;
    n += rows;
  }
  for (let c = 0; c < nc; c++) custStart[c + 1] += custStart[c];
  const next = custStart.slice(0, -1);
  const item = new Int32Array(n),
    type = new Int32Array(n),
    tsMs = new Float64Array(n),
    ord = new Float64Array(n);
  const session = withSessions ? new Int32Array(n) : undefined;
  let min = Infinity,
    max = -Infinity; // (the times' range, for defaultCutoffs: one pass less there)
  for (const { rows, cols } of chunks) {
    const cust = cols[0],
      sItem = cols[1],
      sType = cols[2],
      sTs = cols[3],
      sOrd = cols[4];
    if (session) {
      const sSession = cols[5];
      for (let i = 0; i < rows; i++) {
        const d = next[cust[i]]++;
        const t = sTs[i];
        if (t < min) min = t;
        if (t > max) max = t;
        item[d] = sItem[i];
        type[d] = sType[i];
        tsMs[d] = t;
        ord[d] = sOrd[i];
        session[d] = sSession[i];
      }
    } else
      for (let i = 0; i < rows; i++) {
        const d = next[cust[i]]++;
        const t = sTs[i];
        if (t < min) min = t;
        if (t > max) max = t;
        item[d] = sItem[i];
        type[d] = sType[i];
        tsMs[d] = t;
        ord[d] = sOrd[i];
      }
  }
  sortWithinCustomers(custStart, item, type, tsMs, ord, session);
  const tsRange: [number, number] | undefined = n > 0 && min <= max ? [min, max] : undefined;
  return { custStart, item, type, tsMs, ord, session, tsRange };
}

/**
 * The columns sorted by (customer, ts, ord), in one pass (sortChunks on one chunk; `custStart` as counted from `cust`):
 * each row is written straight to its customer's next slot, then the customers whose rows did not arrive in (ts, ord)
 * order are sorted in place. Same order as sortPermutation, without the permutation.
 */
export function sortByCustomer(
  cust: Int32Array,
  custStart: Int32Array,
  src: { item: Int32Array; type: Int32Array; ts: Float64Array; ord: Float64Array; session?: Int32Array },
): { item: Int32Array; type: Int32Array; tsMs: Float64Array; session?: Int32Array } {
  const cols = [cust, src.item, src.type, src.ts, src.ord, ...(src.session ? [src.session] : [])];
  const { item, type, tsMs, session } = sortChunks([{ rows: cust.length, cols, chunk: undefined }], custStart.length - 1, !!src.session);
  return { item, type, tsMs, session };
}

/** Each customer's rows (in counting-sort order) sorted by (ts, ord) where they are not already; `ord` is not moved. */
function sortWithinCustomers(
  custStart: Int32Array,
  item: Int32Array,
  type: Int32Array,
  tsMs: Float64Array,
  ord: Float64Array,
  session?: Int32Array,
): void {
  for (let c = 0; c + 1 < custStart.length; c++) {
    const s = custStart[c],
      e = custStart[c + 1];
    let sorted = true;
    for (let i = s + 1; i < e && sorted; i++) sorted = tsMs[i - 1] < tsMs[i] || (tsMs[i - 1] === tsMs[i] && ord[i - 1] < ord[i]);
    if (sorted) continue;
    const idx = Int32Array.from({ length: e - s }, (_, k) => s + k).sort((a, b) => tsMs[a] - tsMs[b] || ord[a] - ord[b]);
    const cItem = item.slice(s, e),
      cType = type.slice(s, e),
      cTs = tsMs.slice(s, e),
      cSession = session?.slice(s, e);
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k] - s;
      item[s + k] = cItem[j];
      type[s + k] = cType[j];
      tsMs[s + k] = cTs[j];
      if (session && cSession) session[s + k] = cSession[j];
    }
  }
}

/** Row order sorted by (customer, ts, ord): counting sort on customer, then each customer's rows by (ts, ord). */
export function sortPermutation(cust: Int32Array, ts: Float64Array, ord: Float64Array, custStart: Int32Array): Int32Array {
  const n = cust.length;
  const next = custStart.slice(0, -1);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[next[cust[i]]++] = i;
  const before = (a: number, b: number) => ts[a] < ts[b] || (ts[a] === ts[b] && ord[a] < ord[b]);
  for (let c = 0; c + 1 < custStart.length; c++) {
    const s = custStart[c],
      e = custStart[c + 1];
    let sorted = true;
    for (let i = s + 1; i < e && sorted; i++) sorted = before(perm[i - 1], perm[i]);
    if (!sorted) perm.subarray(s, e).sort((a, b) => ts[a] - ts[b] || ord[a] - ord[b]);
  }
  return perm;
}

const DAY_MS = 86_400_000;

/**
 * Drop repeated events in place, keeping the first: 'exact' = same customer, item, type and time;
 * 'day' = same customer, item and type within one UTC day (ShopperBERT). Returns how many were dropped.
 */
export function dedupSorted(ev: SortedEvents, mode: 'none' | 'exact' | 'day'): number {
  if (mode === 'none') return 0;
  const { item, type, tsMs, session, custStart } = ev;
  const nc = custStart.length - 1;
  const seenDay = new Map<number, number>();
  let w = 0;
  for (let c = 0; c < nc; c++) {
    const s = custStart[c],
      e = custStart[c + 1];
    const first = w; // the customer's first kept row
    custStart[c] = w;
    seenDay.clear();
    let runStart = w; // first kept row with the current time (exact mode)
    for (let r = s; r < e; r++) {
      let dup = false;
      if (mode === 'exact') {
        if (w === first || tsMs[w - 1] !== tsMs[r]) runStart = w;
        for (let j = runStart; j < w && !dup; j++) dup = item[j] === item[r] && type[j] === type[r];
      } else {
        const key = item[r] * 8 + type[r];
        const day = Math.floor(tsMs[r] / DAY_MS);
        dup = seenDay.get(key) === day;
        if (!dup) seenDay.set(key, day);
      }
      if (dup) continue;
      if (w !== r) {
        // (rows before the first duplicate stay where they are)
        item[w] = item[r];
        type[w] = type[r];
        tsMs[w] = tsMs[r];
        if (session) session[w] = session[r];
      }
      w++;
    }
  }
  custStart[nc] = w;
  const dropped = ev.n - w;
  ev.n = w;
  return dropped;
}
