import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_TYPES, RESERVED_IDS } from '@cfm/core';
import { queryNumber, readColumns } from './db';
import type { SortedEvents } from './split';

export interface ExtractedEvents {
  events: SortedEvents;
  /** customer index → id (sorted) */
  customerIds: string[];
  /** raw item index → id (sorted) */
  itemKeys: string[];
}

const TYPE_ID = `(list_position([${EVENT_TYPES.map((t) => `'${t}'`).join(', ')}], event_type) + ${RESERVED_IDS - 1})::INTEGER`;

/**
 * Read the `events` table sorted by (customer, time, input order) as typed arrays.
 * Customers and items become dense indices over their sorted distinct ids.
 */
export async function extractSortedEvents(conn: DuckDBConnection, withSessions = false): Promise<ExtractedEvents> {
  await conn.run(`
    CREATE OR REPLACE TEMP TABLE cust_keys AS SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS cix
      FROM (SELECT DISTINCT customer_id FROM events);
    CREATE OR REPLACE TEMP TABLE item_keys AS SELECT item_id, (row_number() OVER (ORDER BY item_id) - 1)::INTEGER AS iix
      FROM (SELECT DISTINCT item_id FROM events);`);
  const n = await queryNumber(conn, 'SELECT count(*) FROM events');
  const [customerIds] = (await readColumns(conn, 'SELECT customer_id FROM cust_keys ORDER BY cix', ['string'])) as [string[]];
  const [itemKeys] = (await readColumns(conn, 'SELECT item_id FROM item_keys ORDER BY iix', ['string'])) as [string[]];
  const session = withSessions ? `, coalesce((hash(session_id) % 2147483647)::INTEGER, -1)` : '';
  const cols = await readColumns(
    conn,
    `SELECT cix, iix, ${TYPE_ID}, ts::DOUBLE ${session}
     FROM events JOIN cust_keys USING (customer_id) JOIN item_keys USING (item_id)
     ORDER BY cix, ts, file_id, rec`,
    withSessions ? ['int32', 'int32', 'int32', 'float64', 'int32'] : ['int32', 'int32', 'int32', 'float64'],
    n,
  );
  const cust = cols[0] as Int32Array;
  const custStart = new Int32Array(customerIds.length + 1);
  for (let i = 0; i < n; i++) custStart[cust[i] + 1]++;
  for (let c = 0; c < customerIds.length; c++) custStart[c + 1] += custStart[c];
  const events: SortedEvents = {
    n,
    custStart,
    item: cols[1] as Int32Array,
    type: cols[2] as Int32Array,
    tsMs: cols[3] as Float64Array,
    session: withSessions ? (cols[4] as Int32Array) : undefined,
  };
  return { events, customerIds, itemKeys };
}

const DAY_MS = 86_400_000;

/**
 * Drop repeated events in place, keeping the first: 'exact' = same customer, item, type and time;
 * 'day' = same customer, item and type within one UTC day (ShopperBERT). Returns how many were dropped.
 */
export function dedupSorted(ev: SortedEvents, mode: 'none' | 'exact' | 'day'): number {
  if (mode === 'none') return 0;
  const { item, type, tsMs, session } = ev;
  const nc = ev.custStart.length - 1;
  const seenDay = new Map<number, number>();
  let w = 0;
  let r = 0;
  for (let c = 0; c < nc; c++) {
    const s = ev.custStart[c], e = ev.custStart[c + 1];
    ev.custStart[c] = w;
    seenDay.clear();
    let runStart = w; // first kept row with the current time (exact mode)
    for (r = s; r < e; r++) {
      let dup = false;
      if (mode === 'exact') {
        if (w === ev.custStart[c] || tsMs[w - 1] !== tsMs[r]) runStart = w;
        for (let j = runStart; j < w && !dup; j++) dup = item[j] === item[r] && type[j] === type[r];
      } else {
        const key = item[r] * 8 + type[r];
        const day = Math.floor(tsMs[r] / DAY_MS);
        dup = seenDay.get(key) === day;
        if (!dup) seenDay.set(key, day);
      }
      if (dup) continue;
      item[w] = item[r];
      type[w] = type[r];
      tsMs[w] = tsMs[r];
      if (session) session[w] = session[r];
      w++;
    }
  }
  ev.custStart[nc] = w;
  const dropped = ev.n - w;
  ev.n = w;
  return dropped;
}
