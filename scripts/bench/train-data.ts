/** Benchmark data for bench:train: the S3-Rec Amazon Beauty interactions (22,363 users, 12,101 items),
 * read straight from $CFM_DATA_DIR/s3rec/Beauty.txt ("user item item ..." per line, items 1-based). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfmError, RESERVED_IDS, runtimeOptions, type CustomerSequences } from '@cfm/core';

export function dataDir(): string {
  return runtimeOptions().CFM_DATA_DIR ?? resolve(__dirname, '../../../shared/datasets');
}

/** 'real': one sequence per user (Beauty's mean length is 8.9, so batches are short after length bucketing);
 * 'dense': the same item stream (users in file order) cut into sequences of exactly maxLen, so every batch is
 * batchSize × maxLen — the shape the benchmark config names. Item vocabulary id = Beauty id - 1 + RESERVED_IDS. */
export function loadBeauty(mode: 'real' | 'dense', maxLen: number): { seqs: CustomerSequences; itemCount: number } {
  const file = join(dataDir(), 's3rec', 'Beauty.txt');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot read (${(e as Error).message}); set CFM_DATA_DIR`, { file });
  }
  const users: number[][] = [];
  let maxItem = 0;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const f = line.trim().split(/\s+/).map(Number);
    const bad = f.findIndex((x) => !Number.isInteger(x) || x < 1);
    if (bad >= 0)
      throw new CfmError('CFM_E_ROW_SCHEMA', `"${line.trim().split(/\s+/)[bad]}" is not a positive integer id`, {
        file,
        row: i + 1,
        field: bad === 0 ? 'user' : `item ${bad}`,
      });
    const items = f.slice(1).map((x) => x - 1 + RESERVED_IDS);
    for (const x of items) maxItem = Math.max(maxItem, x);
    users.push(items);
  });
  let rows = users;
  if (mode === 'dense') {
    const stream = users.flat();
    rows = [];
    for (let s = 0; s + maxLen <= stream.length; s += maxLen) rows.push(stream.slice(s, s + maxLen));
  }
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  const items = Int32Array.from(rows.flat());
  const seqs: CustomerSequences = {
    customerIds: rows.map((_, i) => String(i)),
    offsets,
    items,
    types: new Int32Array(items.length),
    times: Float64Array.from(items, (_, i) => i),
  };
  return { seqs, itemCount: maxItem + 1 };
}
