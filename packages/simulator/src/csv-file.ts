import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CfmError } from '@cfm/core';

const CHUNK = 1 << 20;
const COMMA = 44;
const NEWLINE = 10;

/** Writes 0 ≤ n < 1e8 at pos; returns the new position. */
function writeSmall(buf: Uint8Array, pos: number, n: number): number {
  const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : 8;
  let x = n | 0;
  for (let p = pos + digits - 1; p >= pos; p--) {
    const q = (x / 10) | 0;
    buf[p] = 48 + x - q * 10;
    x = q;
  }
  return pos + digits;
}

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

  constructor(
    readonly path: string,
    header: string | null,
    hash: boolean,
  ) {
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
    const buf = this.buf;
    const bytes = p.bytes;
    let pos = this.pos;
    for (let k = p.start[i], to = p.start[i + 1]; k < to; k++) buf[pos++] = bytes[k];
    this.pos = pos;
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

  /** A non-negative integer below 2^53 in decimal (epoch ms split in two int32 halves). */
  int(n: number): void {
    if (n < 100_000_000) {
      this.pos = writeSmall(this.buf, this.pos, n);
      return;
    }
    const hi = Math.floor(n / 100_000_000);
    this.pos = writeSmall(this.buf, this.pos, hi);
    let lo = n - hi * 100_000_000;
    const buf = this.buf;
    const end = this.pos + 8;
    for (let p = end - 1; p >= this.pos; p--) {
      const q = (lo / 10) | 0;
      buf[p] = 48 + lo - q * 10;
      lo = q;
    }
    this.pos = end;
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
