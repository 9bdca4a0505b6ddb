import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfmError, type ProgressReporter } from '@cfm/core';
import { prepareFromSources, type ContractSources, type PrepareConfigInput, type PreparedManifest } from '@cfm/data';
import { resolveDataDir, resolveInside } from './data-dir';
import { DatasetFiles, insideDataDir } from './raw-files';
import { getAdapter } from './registry';

export interface PrepareDatasetOptions {
  /** adapter name (e.g. s3rec-beauty) or path:<dir> — a folder of contract files under the data directory */
  dataset: string;
  out: string;
  /** split kind; default: the adapter's published protocol (loo for s3rec / movielens), temporal for path: */
  split?: 'temporal' | 'loo' | 'customer';
  config?: PrepareConfigInput;
  /** default: env CFM_DATA_DIR, else ../shared/datasets relative to the repo root */
  dataDir?: string;
  dbPath?: string;
  progress?: ProgressReporter;
}

/**
 * A folder of contract files: events*.{csv,parquet,jsonl}, optional items.* and users.*. With `dataDir`, each file is
 * resolved through symlinks and refused (CFM_E_PATH_ESCAPE) when it lies outside the data directory.
 */
export function contractFolder(dir: string, dataDir?: string): ContractSources {
  const names = readdirSync(dir).sort();
  const pick = (re: RegExp) => names.filter((n) => re.test(n)).map((n) => (dataDir ? insideDataDir(dataDir, join(dir, n)) : join(dir, n)));
  const events = pick(/^events.*\.(csv|parquet|jsonl)$/);
  if (!events.length) throw new CfmError('CFM_E_DATASET', 'no events*.csv|parquet|jsonl file in the folder', { file: dir });
  return { events, items: pick(/^items\.(csv|parquet|jsonl)$/)[0], users: pick(/^users\.(csv|parquet|jsonl)$/)[0] };
}

/** Resolve a dataset, write its contract files to a temp dir, and run the data prep into `out`. */
export async function prepareDataset(opts: PrepareDatasetOptions): Promise<PreparedManifest> {
  const dataDir = resolveDataDir(opts.dataDir);
  const config = { ...opts.config };
  if (opts.dataset.startsWith('path:')) {
    const dir = resolveInside(dataDir, opts.dataset.slice(5));
    return prepareFromSources({
      dataset: opts.dataset,
      sources: contractFolder(dir, dataDir),
      out: opts.out,
      dbPath: opts.dbPath,
      progress: opts.progress,
      config: { split: opts.split ?? 'temporal', ...config },
    });
  }
  const adapter = getAdapter(opts.dataset);
  const folder = resolveInside(dataDir, adapter.folder);
  if (!existsSync(folder)) throw new CfmError('CFM_E_DATASET', `dataset folder missing; set CFM_DATA_DIR`, { file: folder });
  const work = await mkdtemp(join(tmpdir(), `cfm-${adapter.name}-`));
  try {
    opts.progress?.log(`converting ${adapter.name} to contract files`);
    const sources = await adapter.toContract(new DatasetFiles(dataDir, folder), work);
    return await prepareFromSources({
      dataset: adapter.name,
      sources,
      out: opts.out,
      dbPath: opts.dbPath,
      progress: opts.progress,
      config: { split: opts.split ?? adapter.defaultSplit, ...config },
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
