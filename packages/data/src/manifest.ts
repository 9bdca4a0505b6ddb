import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { rename, writeFile } from 'node:fs/promises';
import type { FileCount } from './file-count';
import type { PrepareConfig } from './config';
import type { SortedEvents } from './split';
import type { EventLines, PrepareWarning, RawSource } from './reconcile';

export interface SplitCounts {
  customers: number;
  /** tokens in the (history) sequences */
  events: number;
  /** tokens dropped by maxSeqLen */
  truncated: number;
  /** customers without a history or a target in this part */
  skippedCustomers?: number;
}

/** manifest.json of a prepared dataset. */
export interface PreparedManifest {
  dataset: string;
  split: 'temporal' | 'loo' | 'customer';
  config: PrepareConfig;
  configHash: string;
  /** sha256 (16 hex) of the validated, de-duplicated, sorted events */
  dataHash: string;
  /** quarantined: rows of every file (events, items, users) and raw lines an adapter refused; warnings: warnings.length */
  counts: { users: number; items: number; events: number; accepted: number; quarantined: number; duplicates: number; warnings?: number };
  /** per input file: input = accepted + quarantined */
  files: FileCount[];
  /** every output file loadPrepared reads, with its size and sha256 (the manifest is written last; loading verifies) */
  outputs?: Record<string, { bytes: number; sha256: string }>;
  /** per raw file of a dataset adapter: input (lines) = converted + quarantined */
  raw?: Array<Omit<RawSource, 'quarantine'> & { quarantined: number }>;
  /** the events in input lines (raw lines of an adapter when it wrote one row per line): input = events + duplicates + quarantined */
  eventLines?: EventLines;
  /** valid but suspicious outcomes (also logged as `warning: …`) */
  warnings?: PrepareWarning[];
  splits: Record<string, SplitCounts>;
  cutoffsMs?: [number, number];
  vocabFrom: 'train' | 'all';
  vocabSizes: Record<string, number>;
  vocabHashes: Record<string, string>;
  priceEdges: number[];
  hasUsers: boolean;
  createdAt: string;
  /**
   * how the events were read: 'native-scan' (every line plain: scan.ts) or 'duckdb' (the ingest with quarantine),
   * with why the native scan passed the file on (`readerNote`, e.g. "line 12: quote or carriage return")
   */
  reader?: 'native-scan' | 'duckdb';
  readerNote?: string;
  /** wall time per stage of this run */
  timingsMs?: Record<string, number>;
  /** CPU time (user + system, all threads) per stage */
  cpuMs?: Record<string, number>;
}

export function dataHash(ev: SortedEvents, customerIds: string[], itemKeys: string[]): string {
  const h = createHash('sha256');
  h.update(customerIds.join('\n')).update('\0').update(itemKeys.join('\n')).update('\0');
  const bytes = (a: Int32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  h.update(bytes(ev.custStart))
    .update(bytes(ev.item.subarray(0, ev.n)))
    .update(bytes(ev.type.subarray(0, ev.n)))
    .update(bytes(ev.tsMs.subarray(0, ev.n)));
  return h.digest('hex').slice(0, 16);
}

/** Write JSON via a temp file + rename, so a crash never leaves half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

/** the files of a prepared folder that loadPrepared reads (the manifest lists and verifies them) */
export const PREPARED_OUTPUTS = ['vocabs.json', 'item_features.arrow', 'train.arrow', 'valid.arrow', 'test.arrow', 'users.json'];

/** size and sha256 of each named file of `dir` (hashed in parallel, streamed) */
export async function fileDigests(dir: string, names: string[]): Promise<Record<string, { bytes: number; sha256: string }>> {
  const one = (name: string) =>
    new Promise<[string, { bytes: number; sha256: string }]>((done, fail) => {
      const h = createHash('sha256');
      let bytes = 0;
      createReadStream(join(dir, name))
        .on('data', (b: Buffer | string) => {
          bytes += b.length;
          h.update(b);
        })
        .on('error', fail)
        .on('end', () => done([name, { bytes, sha256: h.digest('hex') }]));
    });
  return Object.fromEntries(await Promise.all(names.map(one)));
}
