import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCfmError, sha256 } from '@cfm/core';
import { FOLDER_MANIFEST, fetchFolder, publishFolder, stageLocal } from './folder';
import { Storage } from './storage';
import { toUri } from './uri';

const root = mkdtempSync(join(tmpdir(), 'cfm-storage-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const storage = new Storage();

const failure = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e) => (isCfmError(e) ? `${e.code}:${e.location.field ?? ''}` : String(e)),
  );

describe('file:// storage', () => {
  it('putIfAbsent writes a file once (O_EXCL)', async () => {
    const s = new Storage();
    const uri = toUri(join(mkdtempSync(join(tmpdir(), 'cfm-once-')), 'm.json'));
    expect(await s.putIfAbsent(uri, Buffer.from('1'))).toBe(true);
    expect(await s.putIfAbsent(uri, Buffer.from('2'))).toBe(false);
    expect((await s.read(uri)).toString()).toBe('1');
  });

  it('round-trips bytes and files, with stat, exists, list and deletePrefix', async () => {
    const base = toUri(join(root, 'objects'));
    const bytes = randomBytes(3000);
    const put = await storage.put(`${base}/a/b.bin`, bytes);
    expect(put.size).toBe(3000);
    expect(sha256(await storage.read(`${base}/a/b.bin`))).toBe(sha256(bytes));
    const src = join(root, 'src.txt');
    writeFileSync(src, 'hello file');
    await storage.put(join(root, 'objects', 'c.txt'), src); // a plain path is a file URI
    const got = await storage.get(`${base}/c.txt`, join(root, 'out', 'c.txt'));
    expect(readFileSync(join(root, 'out', 'c.txt'), 'utf8')).toBe('hello file');
    expect(got.sha256).toBe(sha256('hello file'));
    expect((await storage.stat(`${base}/c.txt`)).size).toBe(10);
    expect(await storage.exists(`${base}/c.txt`)).toBe(true);
    expect(await storage.exists(`${base}/nope`)).toBe(false);
    expect((await storage.list(base)).map((e) => [e.path, e.size, e.uri])).toEqual([
      ['a/b.bin', 3000, `${base}/a/b.bin`],
      ['c.txt', 10, `${base}/c.txt`],
    ]);
    expect(await failure(storage.stat(`${base}/nope`))).toBe('CFM_E_FILE:');
    expect(await storage.deletePrefix(base)).toBe(2);
    expect(await storage.list(base)).toEqual([]);
  });

  it('publishes a folder with its manifest last and fetches it verified', async () => {
    const dir = join(root, 'folder');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'one.json'), '{"a":1}');
    writeFileSync(join(dir, 'sub', 'two.bin'), randomBytes(1000));
    const uri = toUri(join(root, 'published'));
    const m = await publishFolder(storage, dir, uri);
    expect(Object.keys(m.files)).toEqual(['one.json', 'sub/two.bin']);
    expect(existsSync(join(root, 'published', FOLDER_MANIFEST))).toBe(true);
    const out = join(root, 'fetched');
    await fetchFolder(storage, uri, out);
    expect(readFileSync(join(out, 'sub', 'two.bin'))).toEqual(readFileSync(join(dir, 'sub', 'two.bin')));
    expect(await stageLocal(storage, uri, join(root, 'cache'))).toBe(join(root, 'published'));
    writeFileSync(join(root, 'published', 'one.json'), '{"a":2}');
    expect(await failure(fetchFolder(storage, uri, join(root, 'fetched2')))).toBe('CFM_E_FILE:sha256');
    expect(existsSync(join(root, 'fetched2'))).toBe(false);
    expect(await failure(fetchFolder(storage, toUri(dir), join(root, 'fetched3')))).toBe('CFM_E_FILE:manifest');
  });
});
