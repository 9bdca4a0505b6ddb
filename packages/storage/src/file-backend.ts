import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CfmError } from '@cfm/core';
import type { Backend, Fetched, ListEntry, ObjectStat } from './types';

const tmpName = (path: string) => `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const etagOf = (size: number, mtimeMs: number) => `${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}`;

function missing(path: string, what = 'no such file'): CfmError {
  return new CfmError('CFM_E_FILE', what, { file: path });
}

/** streams `src` to `dest` through a temp file + rename, hashing the bytes on the way */
export async function copyHashed(src: NodeJS.ReadableStream, dest: string): Promise<{ size: number; sha256: string }> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = tmpName(dest);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(src, tap, createWriteStream(tmp));
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { size, sha256: hash.digest('hex') };
}

async function statOf(path: string): Promise<ObjectStat | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return undefined;
    return { size: s.size, etag: etagOf(s.size, s.mtimeMs), mtime: s.mtime };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

async function walk(root: string, dir: string, out: Array<Omit<ListEntry, 'uri'>>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    if (name.includes('.tmp-')) continue;
    const p = join(dir, name);
    const s = await stat(p);
    if (s.isDirectory()) await walk(root, p, out);
    else if (s.isFile())
      out.push({ path: relative(root, p).split(sep).join('/'), size: s.size, etag: etagOf(s.size, s.mtimeMs), mtime: s.mtime });
  }
}

/** file:// locations: plain files, written through a temp file + rename. */
export const fileBackend: Backend<string> = {
  async putFile(path, file) {
    const s = await statOf(file);
    if (!s) throw missing(file);
    await copyHashed(createReadStream(file), path);
    return (await statOf(path))!;
  },
  async putBytes(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tmpName(path);
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return (await statOf(path))!;
  },
  async putBytesIfAbsent(path, bytes) {
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, bytes, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  },
  async getFile(path, file): Promise<Fetched> {
    const s = await statOf(path);
    if (!s) throw missing(path);
    const got = await copyHashed(createReadStream(path), file);
    return { ...s, size: got.size, sha256: got.sha256 };
  },
  async read(path) {
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missing(path);
      throw e;
    }
  },
  async list(path) {
    const out: Array<Omit<ListEntry, 'uri'>> = [];
    await walk(path, path, out);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  },
  async deletePrefix(path) {
    const n = (await fileBackend.list(path)).length;
    await rm(path, { recursive: true, force: true });
    return n;
  },
  async remove(path) {
    await rm(path, { force: true });
  },
  stat: statOf,
};
