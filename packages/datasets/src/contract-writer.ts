import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

const needsQuote = /[",\n\r]/;
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return needsQuote.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streaming CSV writer for contract files (buffers lines, respects back-pressure). */
export class CsvWriter {
  private readonly out: WriteStream;
  private buf: string[] = [];
  rows = 0;
  private readonly width: number;
  constructor(
    readonly path: string,
    columns: string[],
  ) {
    this.out = createWriteStream(path);
    this.width = columns.length;
    this.buf.push(columns.join(','));
  }
  async row(values: Array<string | number | null | undefined>): Promise<void> {
    const fields = values.map(csvField);
    while (fields.length < this.width) fields.push('');
    this.buf.push(fields.join(','));
    this.rows++;
    if (this.buf.length >= 8192) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.buf.length) return;
    const ok = this.out.write(this.buf.join('\n') + '\n');
    this.buf = [];
    if (!ok) await once(this.out, 'drain');
  }
  async close(): Promise<string> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
    return this.path;
  }
}

export const EVENT_HEADER = ['customer_id', 'item_id', 'ts', 'event_type', 'session_id', 'position', 'page', 'query', 'price'];
export const ITEM_HEADER = ['item_id', 'category_1', 'category_2', 'category_3', 'category_4', 'product_line', 'brand', 'price', 'title'];

/** Synthetic times for order-only datasets: one minute apart from 2000-01-01, so order survives sorting. */
export const ORDER_BASE_MS = Date.UTC(2000, 0, 1);
export const orderTs = (k: number) => ORDER_BASE_MS + k * 60_000;

/** Split one CSV line on commas outside double quotes (quotes removed, "" unescaped). */
export function parseCsvLine(line: string, sep = ','): string[] {
  const out: string[] = [];
  let cur = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
