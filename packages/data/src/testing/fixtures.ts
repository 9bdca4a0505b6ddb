import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp dir for one test file; call cleanup() in afterAll. */
export function tempDir(prefix = 'cfm-data-'): { dir: string; file: (name: string, text: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const EVENTS_HEADER = 'customer_id,item_id,ts,event_type,session_id,position,page,query,price';

/** Contract CSV text of events [customer, item, ts, type]. */
export function eventsCsv(rows: Array<[string, string, number | string, string]>): string {
  return [EVENTS_HEADER, ...rows.map(([c, i, t, e]) => `${c},${i},${t},${e},,,,,`)].join('\n') + '\n';
}
