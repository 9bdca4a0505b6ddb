/** The validated events stored as several Parquet files (a sharded prep's `events/` folder; docs/data.md). */
import { sqlString } from './db';

/** The stored columns of the events (EVENTS_CODED), in order. */
export const CODED_COLUMNS = 'file_id, rec, customer_id, item_id, ts, type, session_id, position, page, query, price';

/** The events of Parquet files (a list, or one glob) as the stored columns (every row has its `rec`). */
export function eventPartsSql(files: string | string[]): string {
  const src = Array.isArray(files) ? `[${files.map(sqlString).join(', ')}]` : sqlString(files);
  return `SELECT ${CODED_COLUMNS} FROM read_parquet(${src}, union_by_name = true, hive_partitioning = false)`;
}
