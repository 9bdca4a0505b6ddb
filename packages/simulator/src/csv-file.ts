import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CfmError } from '@cfm/core';

const CHUNK = 1 << 20;
const COMMA = 44;
const NEWLINE = 10;

export interface FileStats {
  rows: number;
  bytes: number;
  sha256?: string;
}

/** Many short ASCII strings packed in one buffer: entry i is bytes[start[i] .. start[i + 1]). */
export interface PackedStrings {
  bytes: Uint8Array;
  start: Int32Array;
}

export function packStrings(strings: ArrayLike<string>): PackedStrings {
  const start = new Int32Array(strings.length + 1);
  for (let i = 0; i < strings.length; i++) start[i + 1] = start[i] + Buffer.byteLength(strings[i]);
  const bytes = Buffer.alloc(start[strings.length]);
  for (let i = 0; i < strings.length; i++) bytes.write(strings[i], start[i]);
  return { bytes, start };
}

/**
 * Append-only text file written through a 1 MB byte buffer (numbers are encoded digit by digit, so the
 * hot path allocates no strings), hashed as it goes, and renamed into place on close: a crash leaves
 * only `<name>.tmp`. Callers reserve room with `room(n)` before the low-level writes.
 */
export class TextFile {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private readonly fd: number;
  private readonly hash?: Hash;
  rows = 0;
  bytes = 0;

  constructor(readonly path: string, header: string | null, hash: boolean) {
    try {
      this.fd = openSync(`${path}.tmp`, 'w');
    } catch (e) {
      throw new CfmError('CFM_E_FILE', `cannot create: ${(e as Error).message}`, { file: path });
    }
    if (hash) this.hash = createHash('sha256');
    if (header !== null) {
      this.pos = this.buf.write(header + '\n', 0);
    }
  }

  /** One whole line (without its newline) from a string. */
  line(text: string): void {
    this.room(text.length * 3 + 1);
    this.pos += this.buf.write(text, this.pos);
    this.buf[this.pos++] = NEWLINE;
    this.rows++;
  }

  /** Make sure `n` more bytes fit in the buffer. */
  room(n: number): void {
    if (this.pos + n > CHUNK) this.flush();
    if (n > CHUNK) throw new CfmError('CFM_E_STATE', `line of ${n} bytes exceeds the write buffer`, { file: this.path });
  }

  str(s: string): void {
    this.pos += this.buf.write(s, this.pos);
  }

  packed(p: PackedStrings, i: number): void {
    const from = p.start[i];
    const to = p.start[i + 1];
    for (let k = from; k < to; k++) this.buf[this.pos++] = p.bytes[k];
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  comma(): void {
    this.buf[this.pos++] = COMMA;
  }

  endLine(): void {
    this.buf[this.pos++] = NEWLINE;
    this.rows++;
  }

  /** A non-negative integer below 2^53 in decimal. */
  int(n: number): void {
    if (n < 10) {
      this.buf[this.pos++] = 48 + n;
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let x = n;
    while (x >= 10) {
      const q = Math.floor(x / 10);
      this.buf[--p] = 48 + (x - q * 10);
      x = q;
    }
    this.buf[--p] = 48 + x;
  }

  private flush(): void {
    if (!this.pos) return;
    const data = this.buf.subarray(0, this.pos);
    writeSync(this.fd, data);
    this.hash?.update(data);
    this.bytes += this.pos;
    this.pos = 0;
  }

  /** Close and delete the partial file (error path). */
  abort(): void {
    try {
      closeSync(this.fd);
      rmSync(`${this.path}.tmp`, { force: true });
    } catch {
      // already closed
    }
  }

  close(): FileStats {
    this.flush();
    closeSync(this.fd);
    renameSync(`${this.path}.tmp`, this.path);
    return { rows: this.rows, bytes: this.bytes, ...(this.hash ? { sha256: this.hash.digest('hex') } : {}) };
  }
}
