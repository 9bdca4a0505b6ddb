import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCfmError, sha256 } from '@cfm/core';
import { Storage } from './storage';
import { seaweedSkipReason, startSeaweed, type SeaweedServer } from './testing';

const skip = seaweedSkipReason();
const root = mkdtempSync(join(tmpdir(), 'cfm-storage-s3-'));
let server: SeaweedServer;
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e) => (isCfmError(e) ? `${e.code}:${e.location.field ?? ''}` : String(e)),
  );

describe.skipIf(!!skip)(`s3:// storage on SeaweedFS${skip ? ` (${skip})` : ''}`, () => {
  beforeAll(async () => {
    server = await startSeaweed();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('putIfAbsent writes once: of several racing writers exactly one wins (conditional put)', async () => {
    const s = server.storage;
    const uri = `s3://${server.bucket}/once/marker.json`;
    const wins = await Promise.all(['a', 'b', 'c', 'd'].map((x) => s.putIfAbsent(uri, Buffer.from(x))));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(['a', 'b', 'c', 'd'][wins.indexOf(true)]).toBe((await s.read(uri)).toString());
    expect(await s.putIfAbsent(uri, Buffer.from('late'))).toBe(false);
  });

  it('round-trips bytes and a file: read, get, stat (size, etag), exists', async () => {
    const s = server.storage;
    const uri = `s3://${server.bucket}/rt/bytes.bin`;
    const bytes = randomBytes(70_000);
    const put = await s.put(uri, bytes);
    expect(put).toMatchObject({ size: 70_000, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(sha256(await s.read(uri))).toBe(sha256(bytes));
    expect(await s.stat(uri)).toMatchObject({ size: 70_000, etag: put.etag });
    const file = join(root, 'in.txt');
    writeFileSync(file, 'a local file\n');
    await s.put(`s3://${server.bucket}/rt/dir/file.txt`, file);
    const got = await s.get(`s3://${server.bucket}/rt/dir/file.txt`, join(root, 'out', 'file.txt'));
    expect(readFileSync(join(root, 'out', 'file.txt'), 'utf8')).toBe('a local file\n');
    expect(got).toMatchObject({ size: 13, sha256: sha256('a local file\n') });
    expect(await s.exists(uri)).toBe(true);
    expect(await s.exists(`s3://${server.bucket}/rt/missing`)).toBe(false);
    expect(await failure(s.stat(`s3://${server.bucket}/rt/missing`))).toBe('CFM_E_FILE:');
    expect(await failure(s.read(`s3://${server.bucket}/rt/missing`))).toBe('CFM_E_FILE:');
  });

  it('lists a prefix recursively (paginated) and deletes it', async () => {
    const s = server.storage;
    const base = `s3://${server.bucket}/listing`;
    const names = Array.from({ length: 1005 }, (_, i) => `p${String(i % 3)}/obj-${String(i).padStart(4, '0')}`);
    await Promise.all(names.map((n) => s.put(`${base}/${n}`, Buffer.from(n))));
    await s.put(`s3://${server.bucket}/listing-sibling/x`, Buffer.from('x'));
    const listed = await s.list(base);
    expect(listed.map((e) => e.path)).toEqual([...names].sort());
    expect(listed[0]).toMatchObject({ uri: `${base}/${listed[0].path}`, size: listed[0].path.length });
    expect((await s.list(`${base}/p1`)).length).toBe(335);
    expect(await s.deletePrefix(base)).toBe(1005);
    expect(await s.list(base)).toEqual([]);
    expect(await s.exists(`s3://${server.bucket}/listing-sibling/x`)).toBe(true);
  });

  it('uploads a large file in parts and reads it back whole', async () => {
    const s = new Storage({ ...server.settings, partSize: 5 << 20, multipartThreshold: 5 << 20 });
    try {
      const file = join(root, 'big.bin');
      const data = randomBytes((12 << 20) + 12345);
      writeFileSync(file, data);
      const uri = `s3://${server.bucket}/multi/big.bin`;
      const put = await s.put(uri, file);
      expect(put.size).toBe(data.length);
      expect(put.etag).toMatch(/-3$/); // S3's etag of a 3-part upload
      expect((await s.stat(uri)).size).toBe(data.length);
      const got = await s.get(uri, join(root, 'big.out'));
      expect(got.sha256).toBe(sha256(data));
    } finally {
      s.close();
    }
  });

  it('names the bucket, the credentials or the endpoint when they are wrong', async () => {
    expect(await failure(server.storage.put('s3://no-such-bucket-cfm/x', Buffer.from('x')))).toBe('CFM_E_FILE:');
    const wrong = new Storage({ ...server.settings, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'wrong-secret' } });
    expect(await failure(wrong.read(`s3://${server.bucket}/rt/bytes.bin`))).toBe('CFM_E_CONFIG:credentials');
    wrong.close();
    const down = new Storage({ ...server.settings, endpoint: 'http://127.0.0.1:9' });
    const e = await down.exists(`s3://${server.bucket}/x`).catch((x: unknown) => x);
    expect(isCfmError(e) && e.location.field === 'CFM_S3_ENDPOINT' && e.retryable).toBe(true);
    down.close();
  });
});
