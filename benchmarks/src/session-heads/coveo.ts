/** Coveo SIGIR eCom 2021 search events (the CDC search-personalisation input, paper §7.1.4): query vector,
 * shown results (non-personal relevance order) and clicked results, per browsing session. Only the public
 * schema sample exists here (10 rows), so this is the loader, not an experiment. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import { parseCsvLine, resolveDataDir, resolveInside } from '@cfm/datasets';

export interface CoveoSearch {
  session: string;
  ts: number;
  queryVector: Float32Array;
  results: string[];
  clicked: string[];
}

const list = (cell: string, file: string, row: number, field: string): string[] => {
  if (!cell) return [];
  const m = cell.trim();
  if (!m.startsWith('[') || !m.endsWith(']'))
    throw new CfmError('CFM_E_ROW_SCHEMA', `expected a [...] list, got "${m.slice(0, 30)}"`, { file, row, field });
  return m
    .slice(1, -1)
    .split(',')
    .map((x) => x.trim().replace(/^'|'$/g, ''))
    .filter(Boolean);
};

export async function loadCoveoSearches(dataDir?: string): Promise<CoveoSearch[]> {
  const file = join(resolveInside(resolveDataDir(dataDir), 'coveo-sigir2021-sample'), 'search_train_sample.csv');
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  const head = parseCsvLine(lines[0], ',');
  const col = (n: string) => {
    const i = head.indexOf(n);
    if (i < 0) throw new CfmError('CFM_E_ROW_SCHEMA', `missing column ${n}`, { file, row: 0, field: n });
    return i;
  };
  const [s, q, c, p, t] = ['session_id_hash', 'query_vector', 'clicked_skus_hash', 'product_skus_hash', 'server_timestamp_epoch_ms'].map(
    col,
  );
  return lines.slice(1).map((l, i) => {
    const f = parseCsvLine(l, ',');
    const ts = Number(f[t]);
    if (!Number.isFinite(ts))
      throw new CfmError('CFM_E_ROW_SCHEMA', `bad timestamp "${f[t]}"`, { file, row: i + 1, field: 'server_timestamp_epoch_ms' });
    const vec = list(f[q], file, i + 1, 'query_vector').map(Number);
    if (vec.some((x) => !Number.isFinite(x)))
      throw new CfmError('CFM_E_ROW_SCHEMA', 'non-numeric query vector', { file, row: i + 1, field: 'query_vector' });
    return {
      session: f[s],
      ts,
      queryVector: Float32Array.from(vec),
      results: list(f[p], file, i + 1, 'product_skus_hash'),
      clicked: list(f[c], file, i + 1, 'clicked_skus_hash'),
    };
  });
}
