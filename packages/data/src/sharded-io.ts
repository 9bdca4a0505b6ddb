/**
 * Files of the sharded prep (sharded.ts): typed arrays as raw little-endian files, id lists as text (one id a line:
 * accepted ids hold no control character, so no line break), JSON, and a sequential reader of a raw array file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { CfmError } from '@cfm/core';

type NumArray = Int32Array | Float64Array | Int8Array;

/** Write a typed array's bytes (temp name, then renamed). */
export async function writeArray(path: string, a: NumArray): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  await rename(tmp, path);
}

async function readBytes(path: string, elem: number): Promise<ArrayBuffer> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch {
    throw new CfmError('CFM_E_FILE', 'a file of the sharded prep is missing (run its earlier steps first)', { file: path });
  }
  if (b.byteLength % elem)
    throw new CfmError('CFM_E_FILE', `size ${b.byteLength} is not a multiple of ${elem} bytes (truncated)`, { file: path });
  // (a fresh, aligned buffer unless readFile gave one of its own)
  return b.byteOffset === 0 && b.buffer.byteLength === b.byteLength ? (b.buffer as ArrayBuffer) : new Uint8Array(b).buffer;
}

export const readInt32 = async (path: string) => new Int32Array(await readBytes(path, 4));
export const readFloat64 = async (path: string) => new Float64Array(await readBytes(path, 8));
export const readInt8 = async (path: string) => new Int8Array(await readBytes(path, 1));

/** Ids one a line (none holds a control character: such ids are quarantined). */
export async function writeIds(path: string, ids: string[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, ids.join('\n'));
  await rename(tmp, path);
}

export async function readIds(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CfmError('CFM_E_FILE', 'a file of the sharded prep is missing (run its earlier steps first)', { file: path });
  });
  return text === '' ? [] : text.split('\n');
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value, null, 1));
  await rename(tmp, path);
}

/** A raw array file read front to back, `take(k)` elements at a time, through a buffer of bounded size. */
export class ArrayReader<T extends Int32Array | Float64Array> {
  private readonly fd: number;
  private buf: T;
  private start = 0;
  private end = 0;
  private filePos = 0;
  constructor(
    private readonly path: string,
    private readonly make: (n: number) => T,
    chunk = 1 << 18,
  ) {
    this.fd = openSync(path, 'r');
    this.buf = make(chunk);
  }

  /** the next k elements (a view, valid until the next call) */
  take(k: number): T {
    if (this.end - this.start < k) this.fill(k);
    const out = this.buf.subarray(this.start, this.start + k) as T;
    this.start += k;
    return out;
  }

  private fill(k: number): void {
    const left = this.end - this.start;
    if (k > this.buf.length) {
      const bigger = this.make(Math.max(k, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.start, this.end));
      this.buf = bigger;
    } else this.buf.copyWithin(0, this.start, this.end);
    this.start = 0;
    this.end = left;
    const size = this.buf.BYTES_PER_ELEMENT;
    const bytes = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    while (this.end < k) {
      const got = readSync(this.fd, bytes, this.end * size, (this.buf.length - this.end) * size, this.filePos);
      if (got === 0 || got % size)
        throw new CfmError('CFM_E_FILE', 'a file of the sharded prep ends early (truncated)', { file: this.path });
      this.filePos += got;
      this.end += got / size;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Run `fn` on each item with at most `concurrency` at once; results in input order. */
export async function mapLimit<A, B>(items: A[], concurrency: number, fn: (a: A, i: number) => Promise<B>): Promise<B[]> {
  const out = new Array<B>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
