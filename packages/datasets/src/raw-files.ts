/**
 * The files of a dataset folder as an adapter reads them: every file resolved (realpath) and refused when it lies
 * outside the data directory, and raw lines counted, checked (binary garbage, field count) and quarantined with
 * their line numbers, so that the prepare reconciles with the raw files (docs/datasets.md, "Raw files").
 */
import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CfmError } from '@cfm/core';
import { snippet, type RawSource } from '@cfm/data';

export interface RawReadOptions {
  /** which contract file the lines become (default events) */
  kind?: RawSource['kind'];
  /** field separator; a RegExp splits the trimmed line (e.g. /\s+/) */
  sep: string | RegExp;
  /** CSV quoting (double quotes) with a one-character `sep` */
  quoted?: boolean;
  /** fields a line must have: exactly n, or [min, max] */
  fields: number | [number, number];
  /** the first non-blank line is a header (not counted) */
  header?: boolean;
  encoding?: 'utf8' | 'latin1';
  gzip?: boolean;
  /** each converted line becomes one contract row (default true) */
  oneRowPerLine?: boolean;
}

/** One data line: its fields and line number; `refuse` quarantines it (the adapter then writes no row for it). */
export interface RawRow {
  fields: string[];
  line: number;
  refuse(field: string, reason: string): void;
}

/** C0 control characters but tab, DEL, and U+FFFD (bytes that are not UTF-8): a line of binary garbage. */
function binary(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

function splitQuoted(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** A dataset folder under the data directory, and the raw files read from it. */
export class DatasetFiles {
  /** every raw file read through rows(), with its line counts and refused lines */
  readonly raw: RawSource[] = [];
  constructor(
    /** the data directory (real path) */
    readonly dataDir: string,
    /** the dataset folder (real path, inside dataDir) */
    readonly dir: string,
  ) {}

  /** A file of the folder: resolved through symlinks and refused (CFM_E_PATH_ESCAPE) when outside the data directory. */
  path(name: string): string {
    const target = join(this.dir, name);
    if (!existsSync(target))
      throw new CfmError('CFM_E_DATASET', 'file missing from the dataset folder', { file: relative(this.dataDir, target) });
    return insideDataDir(this.dataDir, target);
  }

  /** A whole text file (small files: JSON side tables). */
  text(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  /** A JSON file; a parse error names the file, not its content. */
  json<T>(name: string): T {
    try {
      return JSON.parse(this.text(name)) as T;
    } catch (e) {
      if (e instanceof CfmError) throw e;
      throw new CfmError('CFM_E_FILE', `not valid JSON (starts with "${snippet(this.text(name), 40)}")`, {
        file: relative(this.dataDir, this.path(name)),
      });
    }
  }

  /**
   * The data lines of a text file, split into fields. A line with binary garbage, or with a field count other than
   * `fields`, is quarantined (not yielded); lines are split on '\n' only (a stray '\r' stays in its line).
   */
  async *rows(name: string, o: RawReadOptions): AsyncGenerator<RawRow> {
    const file = this.path(name);
    const src: RawSource = {
      file: relative(this.dataDir, file),
      kind: o.kind ?? 'events',
      input: 0,
      converted: 0,
      quarantine: [],
      oneRowPerLine: o.oneRowPerLine ?? true,
    };
    this.raw.push(src);
    const [min, max] = typeof o.fields === 'number' ? [o.fields, o.fields] : o.fields;
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    let header = o.header ?? false;
    let no = 0;
    for await (const raw of lines(file, o.encoding ?? 'utf8', o.gzip ?? false)) {
      no++;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (!line.trim()) continue;
      if (header) {
        header = false;
        continue;
      }
      src.input++;
      if (binary(line)) {
        src.quarantine.push({ row: no, field: 'line', reason: 'binary or control characters' });
        continue;
      }
      const fields = o.sep instanceof RegExp ? line.trim().split(o.sep) : o.quoted ? splitQuoted(line, o.sep) : line.split(o.sep);
      if (fields.length < min || fields.length > max) {
        src.quarantine.push({ row: no, field: 'line', reason: `${fields.length} fields, want ${want}` });
        continue;
      }
      let refused = false;
      yield { fields, line: no, refuse: (field, reason) => ((refused = true), src.quarantine.push({ row: no, field, reason })) };
      if (!refused) src.converted++;
    }
  }
}

/** A path resolved through symlinks, refused (CFM_E_PATH_ESCAPE) when it lies outside the data directory. */
export function insideDataDir(dataDir: string, path: string): string {
  const real = realpathSync(path);
  const r = relative(dataDir, real);
  if (r.startsWith('..') || isAbsolute(r))
    throw new CfmError('CFM_E_PATH_ESCAPE', `a dataset file resolves outside the data directory ${dataDir}`, {
      file: relative(dataDir, path),
    });
  if (!statSync(real).isFile()) throw new CfmError('CFM_E_DATASET', 'not a regular file', { file: relative(dataDir, path) });
  return real;
}

/** The lines of a text file, split on '\n' only (optionally gunzipped). */
async function* lines(file: string, encoding: 'utf8' | 'latin1', gzip: boolean): AsyncGenerator<string> {
  const stream = gzip ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  // (latin1 is one byte per character: a chunk decodes on its own; TextDecoder's 'latin1' would be windows-1252)
  const decoder = new TextDecoder('utf-8');
  const decode = (chunk?: Buffer) =>
    encoding === 'latin1' ? (chunk?.toString('latin1') ?? '') : decoder.decode(chunk, { stream: chunk !== undefined });
  let rest = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = rest + decode(chunk);
    const parts = text.split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  rest += decode();
  if (rest) yield rest;
}
