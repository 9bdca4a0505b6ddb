/** A public dataset's contract files in a folder of the caller's (the pipeline keeps them beside the prepared
 * data), optionally cut to a deterministic subset of customers. */
import { createReadStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { CfmError } from '@cfm/core';
import type { ContractSources } from '@cfm/data';
import { CsvWriter, parseCsvLine } from './contract-writer';
import { resolveDataDir, resolveInside } from './data-dir';
import { DatasetFiles } from './raw-files';
import { getAdapter } from './registry';

export interface ContractFilesOptions {
  /** adapter name, e.g. 's3rec-beauty' */
  name: string;
  /** datasets directory (default CFM_DATA_DIR or ../shared/datasets) */
  dataDir?: string;
  out: string;
  /** keep this many customers: those whose id hashes lowest (the same subset on every machine) */
  maxCustomers?: number;
}

export async function writeContractFiles(o: ContractFilesOptions): Promise<ContractSources> {
  const adapter = getAdapter(o.name);
  const dataDir = resolveDataDir(o.dataDir);
  const folder = resolveInside(dataDir, adapter.folder);
  if (!existsSync(folder)) throw new CfmError('CFM_E_DATASET', 'dataset folder missing; set CFM_DATA_DIR', { file: folder });
  mkdirSync(o.out, { recursive: true });
  const sources = await adapter.toContract(new DatasetFiles(dataDir, folder), o.out);
  if (!o.maxCustomers) return sources;
  const keep = await customerSubset(sources.events, o.maxCustomers);
  // (a subset of the customers no longer reconciles with the raw lines: their counts are left out)
  return { items: sources.items, users: sources.users, events: await Promise.all(sources.events.map((f) => filterEvents(f, keep))) };
}

async function* csvLines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line) yield line;
}

const rank = (id: string) => createHash('sha1').update(id).digest('hex');

async function customerColumn(file: string): Promise<number> {
  for await (const header of csvLines(file)) {
    const i = parseCsvLine(header).indexOf('customer_id');
    if (i < 0) throw new CfmError('CFM_E_MISSING_COLUMN', 'no customer_id column', { file, row: 1, field: 'customer_id' });
    return i;
  }
  throw new CfmError('CFM_E_FILE', 'empty events file', { file });
}

async function customerSubset(files: string[], n: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const f of files) {
    if (!f.endsWith('.csv'))
      throw new CfmError('CFM_E_CONFIG', 'maxCustomers needs CSV contract files', { file: f, field: 'dataset.maxCustomers' });
    const col = await customerColumn(f);
    let first = true;
    for await (const line of csvLines(f)) {
      if (first) {
        first = false;
        continue;
      }
      ids.add(parseCsvLine(line)[col]);
    }
  }
  return new Set(
    [...ids]
      .map((id) => [rank(id), id] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([, id]) => id),
  );
}

async function filterEvents(file: string, keep: Set<string>): Promise<string> {
  const col = await customerColumn(file);
  const tmp = `${file}.subset-${process.pid}`;
  let header: string[] | undefined;
  let w: CsvWriter | undefined;
  for await (const line of csvLines(file)) {
    const fields = parseCsvLine(line);
    if (!header) {
      header = fields;
      w = new CsvWriter(tmp, header);
      continue;
    }
    if (keep.has(fields[col])) await w!.row(fields);
  }
  await w?.close();
  renameSync(tmp, file);
  return file;
}
