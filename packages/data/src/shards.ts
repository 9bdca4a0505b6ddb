import { closeSync, createWriteStream, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import {
  Field,
  Float64,
  Int32,
  List,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  makeData,
  Utf8,
  type Data,
} from 'apache-arrow';
import { CfmError, type CustomerSequences, type EvalSet } from '@cfm/core';

/** Customers per record batch: the unit a streaming reader holds in memory. */
export const BATCH_CUSTOMERS = 4096;

export type ShardSet = CustomerSequences | EvalSet;
const isEval = (s: ShardSet): s is EvalSet => 'targets' in s;

const int32 = (values: Int32Array): Data => makeData({ type: new Int32(), length: values.length, data: values });
const float64 = (values: Float64Array): Data => makeData({ type: new Float64(), length: values.length, data: values });
/**
 * Strings (none null) as an Arrow Utf8 column: one UTF-8 encoding of them all and their offsets (the same data as
 * vectorFromArray's builder, which appends them one by one, ~20 ms for the 1M bench's customer ids).
 */
function utf8(values: string[]): Data {
  const joined = values.join('');
  const bytes = Buffer.from(joined, 'utf8');
  const offsets = new Int32Array(values.length + 1);
  // all ASCII (one byte per UTF-16 unit) when the lengths agree
  if (bytes.length === joined.length) for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i] + values[i].length;
  else for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i] + Buffer.byteLength(values[i], 'utf8');
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: 0,
    valueOffsets: offsets,
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
  });
}
function list(child: Data, offsets: Int32Array): Data {
  const type = new List(new Field('item', child.type, false));
  return makeData({ type, length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child }) as Data;
}

/** Customers [a, b) of a set as one record batch: customer_id, items, types, times (+ target columns for eval sets). */
function toBatch(set: ShardSet, a: number, b: number): RecordBatch {
  const seq = isEval(set) ? set.history : set;
  const base = seq.offsets[a];
  const offsets = seq.offsets.slice(a, b + 1).map((o) => o - base);
  const end = seq.offsets[b];
  const cols: Record<string, Data> = {
    customer_id: utf8(seq.customerIds.slice(a, b)),
    items: list(int32(seq.items.subarray(base, end)), offsets),
    types: list(int32(seq.types.subarray(base, end)), offsets),
    times: list(float64(seq.times.subarray(base, end)), offsets),
  };
  if (seq.sessions) cols.sessions = list(int32(seq.sessions.subarray(base, end)), offsets);
  if (isEval(set)) {
    cols.target = int32(set.targets.subarray(a, b));
    if (set.targetTypes) cols.target_type = int32(set.targetTypes.subarray(a, b));
    const times = (set as { targetTimes?: Float64Array }).targetTimes;
    if (times) cols.target_time = float64(times.subarray(a, b));
  }
  return new RecordBatch(cols);
}

/** Write a sequence set as an Arrow IPC file, one record batch per BATCH_CUSTOMERS customers; atomic (temp + rename). */
export async function writeSequenceShard(path: string, set: ShardSet): Promise<void> {
  const seq = isEval(set) ? set.history : set;
  const m = seq.customerIds.length;
  const writer = new RecordBatchFileWriter();
  const tmp = `${path}.tmp-${process.pid}`;
  const done = pipeline(writer.toNodeStream(), createWriteStream(tmp));
  if (m === 0) writer.write(toBatch(set, 0, 0));
  for (let a = 0; a < m; a += BATCH_CUSTOMERS) writer.write(toBatch(set, a, Math.min(m, a + BATCH_CUSTOMERS)));
  writer.finish();
  await done;
  await rename(tmp, path);
}

/**
 * The Arrow file writer with its bytes written to a file descriptor as they are made (the stream writer queues them
 * all in memory until they are read): memory stays at one batch, and the bytes are those of the stream writer.
 */
class FdFileWriter extends RecordBatchFileWriter {
  fd = -1;
  protected _write(chunk: Parameters<RecordBatchFileWriter['_write']>[0]): this {
    if (!this._started) return this;
    const b =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : ArrayBuffer.isView(chunk)
          ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          : new Uint8Array(chunk as ArrayBufferLike);
    if (b.byteLength > 0) {
      for (let o = 0; o < b.byteLength;) o += writeSync(this.fd, b, o);
      this._position += b.byteLength;
    }
    return this;
  }
}

/**
 * A sequence shard written set by set (each set as batches of BATCH_CUSTOMERS customers, as writeSequenceShard
 * cuts them): the same bytes as writeSequenceShard of all the sets' customers in one set when every set but the last
 * holds exactly BATCH_CUSTOMERS customers. Written to a temp name, renamed by `close`.
 */
export class SequenceShardFile {
  private readonly writer = new FdFileWriter();
  private readonly tmp: string;
  private written = 0;
  constructor(private readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.writer.fd = openSync(this.tmp, 'w');
  }
  write(set: ShardSet): void {
    const m = (isEval(set) ? set.history : set).customerIds.length;
    for (let a = 0; a < m; a += BATCH_CUSTOMERS) this.writer.write(toBatch(set, a, Math.min(m, a + BATCH_CUSTOMERS)));
    this.written += m;
  }
  /** `empty`: written as the only batch when no customer was (the schema of an empty shard) */
  close(empty: ShardSet): void {
    if (this.written === 0) this.writer.write(toBatch(empty, 0, 0));
    this.writer.finish();
    closeSync(this.writer.fd);
    renameSync(this.tmp, this.path);
  }
  /** close and remove the temp file (after an error) */
  abort(): void {
    try {
      closeSync(this.writer.fd);
    } catch {
      // (closed already)
    }
    rmSync(this.tmp, { force: true });
  }
}

/** One streamed batch: a slice of customers with typed arrays (offsets rebased to 0). */
export interface SequenceShardBatch {
  sequences: CustomerSequences;
  targets?: Int32Array;
  targetTypes?: Int32Array;
  targetTimes?: Float64Array;
}

function listParts(batch: RecordBatch, name: string): { offsets: Int32Array; values: Int32Array | Float64Array } {
  const data = batch.getChild(name)!.data[0];
  const raw = data.valueOffsets as Int32Array;
  const off = raw.subarray(data.offset, data.offset + data.length + 1);
  const child = data.children[0];
  const values = (child.values as Int32Array | Float64Array).subarray(child.offset + off[0], child.offset + off[data.length]);
  return { offsets: off[0] === 0 ? off : off.map((o) => o - off[0]), values };
}

function plain<T extends Int32Array | Float64Array>(batch: RecordBatch, name: string): T | undefined {
  const data = batch.getChild(name)?.data[0];
  return data ? ((data.values as T).subarray(data.offset, data.offset + data.length) as T) : undefined;
}

/** Stream a shard file batch by batch (memory bounded by one batch). */
export async function* readSequenceShard(path: string): AsyncGenerator<SequenceShardBatch> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    throw new CfmError('CFM_E_FILE', 'shard missing (run `cfm prepare` first)', { file: path });
  }
  try {
    const reader = await RecordBatchReader.from(fh);
    for await (const batch of reader) {
      const items = listParts(batch, 'items');
      const sequences: CustomerSequences = {
        customerIds: (batch.getChild('customer_id')!.toArray() as string[]).slice(),
        offsets: items.offsets,
        items: items.values as Int32Array,
        types: listParts(batch, 'types').values as Int32Array,
        times: listParts(batch, 'times').values as Float64Array,
      };
      if (batch.getChild('sessions')) sequences.sessions = listParts(batch, 'sessions').values as Int32Array;
      yield {
        sequences,
        targets: plain(batch, 'target'),
        targetTypes: plain(batch, 'target_type'),
        targetTimes: plain(batch, 'target_time'),
      };
    }
  } finally {
    await fh.close();
  }
}

/** Per-item feature ids (one Int32 column per feature, row = item vocab id) as an Arrow IPC file. */
export async function writeItemFeatures(path: string, features: Record<string, Int32Array>): Promise<void> {
  const cols = Object.fromEntries(Object.entries(features).map(([k, v]) => [k, int32(v)]));
  const writer = new RecordBatchFileWriter();
  const tmp = `${path}.tmp-${process.pid}`;
  const done = pipeline(writer.toNodeStream(), createWriteStream(tmp));
  writer.write(new RecordBatch(cols));
  writer.finish();
  await done;
  await rename(tmp, path);
}

export async function readItemFeatures(path: string): Promise<Record<string, Int32Array>> {
  const fh = await open(path, 'r');
  try {
    const out: Record<string, Int32Array[]> = {};
    for await (const batch of await RecordBatchReader.from(fh))
      for (const f of batch.schema.fields) (out[f.name] ??= []).push(Int32Array.from(plain<Int32Array>(batch, f.name)!));
    return Object.fromEntries(Object.entries(out).map(([k, parts]) => [k, parts.length === 1 ? parts[0] : concatInt32(parts)]));
  } finally {
    await fh.close();
  }
}

function concatInt32(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
