import { open, stat } from 'node:fs/promises';
import { extname, basename } from 'node:path';
import { CfmError } from '@cfm/core';

export type FileFormat = 'csv' | 'parquet' | 'jsonl';

export function formatOf(path: string): FileFormat {
  const ext = extname(path.replace(/\.gz$/, '')).toLowerCase();
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.parquet') return 'parquet';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new CfmError('CFM_E_FILE', `unsupported file type "${ext}" (use .csv, .parquet or .jsonl)`, { file: basename(path) });
}

/** Fail early with CFM_E_FILE when a file is missing or empty. */
export async function assertReadable(path: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new CfmError('CFM_E_FILE', 'file not found or unreadable', { file: path });
  }
  if (size === 0) throw new CfmError('CFM_E_FILE', 'file is empty', { file: path });
  return size;
}

/**
 * Count non-blank lines of a text file in a streaming pass (bounded memory).
 * This is the independent input count of the reconciliation: a CSV's data rows = lines - header.
 * Quoted fields spanning lines count as several lines, which the reconciliation then reports.
 */
export async function countNonBlankLines(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    let lineHasContent = false;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        const end = nl === -1 || nl >= bytesRead ? bytesRead : nl;
        // a line has content unless it is empty or a lone '\r'
        if (end > start && !(end - start === 1 && buf[start] === 13)) lineHasContent = true;
        if (end === bytesRead) break;
        if (lineHasContent) lines++;
        lineHasContent = false;
        start = end + 1;
      }
    }
    if (lineHasContent) lines++;
    return lines;
  } finally {
    await fh.close();
  }
}

/** The header line of a CSV file, split on the delimiter (surrounding quotes removed). */
export async function readCsvHeader(path: string, delim = ','): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const nl = text.indexOf('\n');
    if (nl === -1 && bytesRead === buf.length) throw new CfmError('CFM_E_FILE', 'header line longer than 64 KiB', { file: path });
    const line = (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, '');
    return line.split(delim).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  } finally {
    await fh.close();
  }
}

/**
 * Whether a CSV column looks like integers in the first 64 KiB (non-empty values all digits, no quotes on the
 * lines read). Used to pick a typed read for the common epoch-ms `ts`; the caller still falls back to text
 * columns when the typed read rejects any row.
 */
export async function csvColumnLooksInteger(path: string, column: string, delim = ','): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split('\n');
    if (bytesRead === buf.length) lines.pop(); // possibly cut
    const header = lines[0]
      .replace(/\r$/, '')
      .split(delim)
      .map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    const k = header.indexOf(column);
    if (k === -1 || lines.length < 2) return false;
    let seen = 0;
    for (const raw of lines.slice(1)) {
      const line = raw.replace(/\r$/, '');
      if (!line) continue;
      if (line.includes('"')) return false;
      const v = line.split(delim)[k];
      if (v === undefined || (v !== '' && !/^\d{1,18}$/.test(v))) return false;
      seen++;
    }
    return seen > 0;
  } finally {
    await fh.close();
  }
}
