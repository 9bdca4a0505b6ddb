import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, seaweedSkipReason, startSeaweed, type SeaweedServer } from './testing';

const skip = seaweedSkipReason();
let server: SeaweedServer;

/** a separate Node process that uses the package's default storage (configured from its own environment) */
function child(
  env: Record<string, string>,
  op: 'put' | 'read',
  uri: string,
): Promise<{ ok: boolean; out: string; code?: string; field?: string }> {
  const index = join(__dirname, 'index.ts');
  const code = `const s = require(${JSON.stringify(index)});
    const run = ${JSON.stringify(op)} === 'put' ? s.put(${JSON.stringify(uri)}, Buffer.from('from pid ' + process.pid)).then(() => 'pid ' + process.pid) : s.read(${JSON.stringify(uri)}).then(String);
    run.then((out) => console.log(JSON.stringify({ ok: true, out })), (e) => console.log(JSON.stringify({ ok: false, out: e.message, code: e.code, field: e.location && e.location.field })));`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CFM_S3_')));
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: repoRoot,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('exit', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        ok(JSON.parse(line));
      } catch {
        fail(new Error(`child printed no result: ${out}\n${err}`));
      }
    });
  });
}

describe.skipIf(!!skip)(`each process resolves URIs with its own environment${skip ? ` (${skip})` : ''}`, () => {
  beforeAll(async () => {
    server = await startSeaweed({ identities: { reader: ['Read', 'List'] } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a writer and a read-only worker, side by side, each with its own credentials', async () => {
    const uri = `s3://${server.bucket}/env/by-writer.txt`;
    const writer = await child(server.env, 'put', uri);
    expect(writer).toMatchObject({ ok: true });
    const [readerRead, readerWrite, wrongSecret] = await Promise.all([
      child(server.identities.reader, 'read', uri),
      child(server.identities.reader, 'put', `s3://${server.bucket}/env/by-reader.txt`),
      child({ ...server.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, 'read', uri),
    ]);
    expect(readerRead).toEqual({ ok: true, out: `from ${writer.out}` });
    expect(readerWrite).toMatchObject({ ok: false, code: 'CFM_E_CONFIG', field: 'credentials' });
    expect(wrongSecret).toMatchObject({ ok: false, code: 'CFM_E_CONFIG', field: 'credentials' });
    expect(await server.storage.exists(`s3://${server.bucket}/env/by-reader.txt`)).toBe(false);
  });

  it('a process with no S3 settings at all still resolves file:// URIs', async () => {
    const local = await child({}, 'read', `file://${join(__dirname, '..', 'package.json')}`);
    expect(local.ok && local.out.includes('"@cfm/storage"')).toBe(true);
  });
});
