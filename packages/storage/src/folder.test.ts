import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { FOLDER_MANIFEST, fetchFolder, publishFolder, readFolderManifest, stageFile, stageLocal } from './folder';
import { seaweedSkipReason, startSeaweed, type SeaweedServer } from './testing';

const skip = seaweedSkipReason();
const root = mkdtempSync(join(tmpdir(), 'cfm-storage-folder-'));
let server: SeaweedServer;
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e) => (isCfmError(e) ? `${e.code}:${e.location.field ?? ''}` : String(e)),
  );

/** a small folder like a prepared dataset: a few files in two levels */
function makeFolder(name: string, seed: number): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'shards'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ seed }));
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'shards', `part-${i}.bin`), randomBytes(10_000 + i));
  return dir;
}

const sameFiles = (a: string, b: string) => {
  const walk = (d: string, p = ''): string[] =>
    readdirSync(join(d, p)).flatMap((n) => (statSync(join(d, p, n)).isDirectory() ? walk(d, join(p, n)) : [join(p, n)]));
  const names = walk(a).sort();
  expect(walk(b).sort()).toEqual(names);
  for (const n of names) expect(readFileSync(join(b, n)).equals(readFileSync(join(a, n))), n).toBe(true);
};

describe.skipIf(!!skip)(`folders on SeaweedFS: publish, verified fetch, staging${skip ? ` (${skip})` : ''}`, () => {
  beforeAll(async () => {
    server = await startSeaweed();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('publishes every file then the manifest, and fetches the folder verified', async () => {
    const s = server.storage;
    const dir = makeFolder('pub', 1);
    const uri = `s3://${server.bucket}/runs/r1/prepared`;
    const m = await publishFolder(s, dir, uri);
    expect(Object.keys(m.files)).toEqual(['manifest.json', 'shards/part-0.bin', 'shards/part-1.bin', 'shards/part-2.bin']);
    expect(m.files['shards/part-2.bin'].bytes).toBe(10_002);
    const listed = await s.list(uri);
    expect(listed.map((e) => e.path).sort()).toEqual([FOLDER_MANIFEST, ...Object.keys(m.files)].sort());
    // the manifest is the newest object: written after every file
    const manifestTime = listed.find((e) => e.path === FOLDER_MANIFEST)!.mtime!.getTime();
    expect(Math.max(...listed.map((e) => e.mtime!.getTime()))).toBe(manifestTime);
    expect((await readFolderManifest(s, uri)).hash).toBe(m.hash);
    const out = join(root, 'fetched');
    expect((await fetchFolder(s, uri, out)).hash).toBe(m.hash);
    sameFiles(dir, out);
    expect(await failure(fetchFolder(s, uri, out))).toBe('CFM_E_STATE:'); // not empty
    // a republish with a file fewer: the old object stays in the bucket, but readers take only what the manifest lists
    rmSync(join(dir, 'shards', 'part-1.bin'));
    const m2 = await publishFolder(s, dir, uri);
    expect(m2.hash).not.toBe(m.hash);
    expect(await s.exists(`${uri}/shards/part-1.bin`)).toBe(true);
    await fetchFolder(s, uri, join(root, 'fetched-again'));
    sameFiles(dir, join(root, 'fetched-again'));
  });

  it('refuses a folder without its manifest (an unfinished publish) and leaves the target untouched', async () => {
    const s = server.storage;
    const uri = `s3://${server.bucket}/runs/r2/prepared`;
    await publishFolder(s, makeFolder('incomplete', 2), uri);
    await s.remove(`${uri}/${FOLDER_MANIFEST}`);
    expect((await s.list(uri)).length).toBe(4); // the files are all there, only the manifest is missing
    const out = join(root, 'incomplete-out');
    expect(await failure(fetchFolder(s, uri, out))).toBe('CFM_E_FILE:manifest');
    expect(await failure(stageLocal(s, uri, join(root, 'cache-incomplete')))).toBe('CFM_E_FILE:manifest');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a tampered, a truncated and a missing object, and a manifest that does not match itself', async () => {
    const s = server.storage;
    const uri = `s3://${server.bucket}/runs/r3/model`;
    const m = await publishFolder(s, makeFolder('tamper', 3), uri);
    const part = `${uri}/shards/part-0.bin`;
    const original = await s.read(part);
    const changed = Buffer.from(original);
    changed[100] ^= 0xff; // same size, different bytes
    await s.put(part, changed);
    expect(await failure(fetchFolder(s, uri, join(root, 't1')))).toBe('CFM_E_FILE:sha256');
    await s.put(part, original.subarray(0, 5000));
    expect(await failure(fetchFolder(s, uri, join(root, 't2')))).toBe('CFM_E_FILE:bytes');
    await s.remove(part);
    const missing = await fetchFolder(s, uri, join(root, 't3')).catch((e: unknown) => e);
    expect(isCfmError(missing) && missing.location.file).toBe(part);
    for (const t of ['t1', 't2', 't3']) expect(existsSync(join(root, t))).toBe(false);
    await s.put(part, original);
    const forged = { ...m, files: { ...m.files, 'shards/part-0.bin': { bytes: 5000, sha256: m.files['shards/part-1.bin'].sha256 } } };
    await s.put(`${uri}/${FOLDER_MANIFEST}`, Buffer.from(JSON.stringify(forged)));
    expect(await failure(fetchFolder(s, uri, join(root, 't4')))).toBe('CFM_E_FILE:hash');
    const escape = { ...m, files: { '../x': m.files['manifest.json'] } };
    await s.put(`${uri}/${FOLDER_MANIFEST}`, Buffer.from(JSON.stringify(escape)));
    expect(await failure(fetchFolder(s, uri, join(root, 't5')))).toBe('CFM_E_PATH_ESCAPE:files');
  });

  it('stages a folder into a cache keyed by its manifest hash, reused until the folder changes', async () => {
    const s = server.storage;
    const dir = makeFolder('stage', 4);
    const uri = `s3://${server.bucket}/runs/r4/prepared`;
    const cache = join(root, 'cache');
    const m = await publishFolder(s, dir, uri);
    const first = await stageLocal(s, uri, cache);
    expect(first).toBe(join(cache, m.hash.slice(0, 32)));
    sameFiles(dir, first);
    const inode = statSync(join(first, 'shards', 'part-0.bin')).ino;
    const again = await stageLocal(s, uri, cache);
    expect(again).toBe(first);
    expect(statSync(join(again, 'shards', 'part-0.bin')).ino).toBe(inode); // reused, not downloaded again
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ seed: 5 }));
    await publishFolder(s, dir, uri);
    const changed = await stageLocal(s, uri, cache);
    expect(changed).not.toBe(first);
    expect(JSON.parse(readFileSync(join(changed, 'manifest.json'), 'utf8'))).toEqual({ seed: 5 });
    // two stagings of one folder at once end with one verified copy
    const racing = join(root, 'cache-race');
    const both = await Promise.all([stageLocal(s, uri, racing), stageLocal(s, uri, racing)]);
    expect(both[1]).toBe(both[0]);
    sameFiles(dir, both[0]);
    expect(readdirSync(racing)).toEqual([both[0].slice(racing.length + 1)]);
    // a damaged cache entry (a file removed) is fetched again
    rmSync(join(changed, 'shards', 'part-2.bin'));
    expect(await stageLocal(s, uri, cache)).toBe(changed);
    expect(statSync(join(changed, 'shards', 'part-2.bin')).size).toBe(10_002);
  });

  it('gives DuckDB local files: a Parquet object staged through the S3 client reads like the original', async () => {
    const s = server.storage;
    const parquet = join(root, 'events.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const sql = (src: string) =>
      `SELECT count(*)::INTEGER AS n, count(DISTINCT customer_id)::INTEGER AS customers, sum(price) AS revenue FROM read_parquet('${src}')`;
    await c.run(
      `COPY (SELECT 'c' || (i % 97) AS customer_id, (i * 31 % 1000) / 10.0 AS price FROM range(20000) t(i)) TO '${parquet}' (FORMAT parquet)`,
    );
    const want = (await c.runAndReadAll(sql(parquet))).getRowObjects()[0];
    const uri = `s3://${server.bucket}/data/events.parquet`;
    await s.put(uri, parquet);
    const cache = join(root, 'parquet-cache');
    const local = await stageFile(s, uri, cache);
    expect(local.startsWith(cache)).toBe(true);
    expect((await c.runAndReadAll(sql(local))).getRowObjects()[0]).toEqual(want);
    const ino = statSync(local).ino;
    expect(await stageFile(s, uri, cache)).toBe(local);
    expect(statSync(local).ino).toBe(ino);
    // a new version of the object is a new cache entry
    await c.run(`COPY (SELECT 'c1' AS customer_id, 1.5 AS price) TO '${parquet}' (FORMAT parquet)`);
    await s.put(uri, parquet);
    const next = await stageFile(s, uri, cache);
    expect(next).not.toBe(local);
    expect((await c.runAndReadAll(sql(next))).getRowObjects()[0]).toMatchObject({ n: 1, customers: 1 });
    c.closeSync();
  });
});
