// Test harness: a real SeaweedFS S3 server (`weed mini`) (tools/seaweedfs/bin/weed, built by infra/seaweedfs/install.sh) on free
// loopback ports with a temp data folder and random credentials, and a bucket made for the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3SettingsFromEnv, type S3Settings } from './config';
import { Storage } from './storage';

export const repoRoot = resolve(__dirname, '..', '..', '..');

/** tests that need SeaweedFS must run (not skip) when CI=true */
export const seaweedRequired = process.env.CI === 'true';

/** the weed binary: env CFM_WEED_BIN, else tools/seaweedfs/bin/weed; undefined when neither exists */
export function weedBinary(): string | undefined {
  const candidates = [process.env.CFM_WEED_BIN, join(repoRoot, 'tools', 'seaweedfs', 'bin', 'weed')];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** why SeaweedFS tests are skipped here, or undefined when they run */
export function seaweedSkipReason(): string | undefined {
  if (weedBinary() || seaweedRequired) return undefined;
  return 'skipped: SeaweedFS not installed (bash infra/seaweedfs/install.sh)';
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

export interface SeaweedServer {
  /** http://127.0.0.1:<port> of the S3 gateway */
  endpoint: string;
  /** a bucket made at start */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** the environment a process needs to reach this server as the admin identity (CFM_S3_ENDPOINT, AWS_ACCESS_KEY_ID, ...) */
  env: Record<string, string>;
  /** the same for each extra identity of startSeaweed's `identities` option */
  identities: Record<string, Record<string, string>>;
  settings: S3Settings;
  /** a Storage configured for this server */
  storage: Storage;
  /** the server's data folder */
  dir: string;
  createBucket(name: string): Promise<void>;
  /** the server's output so far (for failure messages) */
  log(): string;
  stop(): Promise<void>;
}

function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 2_000);
    p.once('exit', () => {
      clearTimeout(t);
      ok();
    });
    p.kill('SIGTERM');
  });
}

/**
 * Starts `weed mini` (master, volume, filer and S3 gateway in one process) with S3 credentials required, waits
 * until a bucket is made and takes a first write (volume allocation), and returns how to reach it. Throws when the
 * binary is missing (see seaweedSkipReason).
 */
export async function startSeaweed(
  opts: {
    bucket?: string;
    timeoutMs?: number;
    /** more identities by name with their S3 actions (e.g. { reader: ['Read', 'List'] }), each with random keys */
    identities?: Record<string, string[]>;
  } = {},
): Promise<SeaweedServer> {
  const bin = weedBinary();
  if (!bin) throw new Error('SeaweedFS not installed: bash infra/seaweedfs/install.sh (or set CFM_WEED_BIN)');
  const dir = mkdtempSync(join(tmpdir(), 'cfm-seaweed-'));
  const keys = () => ({ accessKey: `cfm${randomBytes(6).toString('hex')}`, secretKey: randomBytes(18).toString('base64url') });
  const all = { cfm: ['Admin', 'Read', 'Write', 'List', 'Tagging'], ...opts.identities };
  const creds = Object.fromEntries(Object.keys(all).map((name) => [name, keys()]));
  const s3config = join(dir, 's3.json');
  writeFileSync(
    s3config,
    JSON.stringify({
      identities: Object.entries(all).map(([name, actions]) => ({ name, credentials: [creds[name]], actions })),
    }),
  );
  const { accessKey: accessKeyId, secretKey: secretAccessKey } = creds.cfm;
  const port = { master: 0, masterGrpc: 0, volume: 0, volumeGrpc: 0, filer: 0, filerGrpc: 0, s3: 0, s3Grpc: 0, admin: 0, adminGrpc: 0 };
  for (const k of Object.keys(port) as Array<keyof typeof port>) port[k] = await freePort();
  // `weed mini`: master, volume, filer and S3 in one process, single-master settings (no volume-allocation hold at
  // start, unlike `weed server`); the WebDAV, Iceberg, Lance and admin UI parts are switched off
  const args = [
    'mini',
    `-dir=${dir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${port.master}`,
    `-master.port.grpc=${port.masterGrpc}`,
    '-master.volumeSizeLimitMB=64',
    `-volume.port=${port.volume}`,
    `-volume.port.grpc=${port.volumeGrpc}`,
    '-volume.max=32',
    '-volume.preStopSeconds=0',
    `-filer.port=${port.filer}`,
    `-filer.port.grpc=${port.filerGrpc}`,
    `-filer.localSocket=${join(dir, 'filer.sock')}`,
    `-s3.port=${port.s3}`,
    `-s3.port.grpc=${port.s3Grpc}`,
    `-s3.config=${s3config}`,
    '-s3.autoCreateBucket=false',
    `-s3.localSocket=${join(dir, 's3.sock')}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-webdav=false',
    '-admin.ui=false',
    `-admin.port=${port.admin}`,
    `-admin.port.grpc=${port.adminGrpc}`,
    '-admin.port.legacy=0',
  ];
  const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const endpoint = `http://127.0.0.1:${port.s3}`;
  // AWS_EC2_METADATA_DISABLED: a process given these never asks an instance-metadata address for credentials
  const envOf = (c: { accessKey: string; secretKey: string }) => ({
    CFM_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: c.accessKey,
    AWS_SECRET_ACCESS_KEY: c.secretKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const env = envOf(creds.cfm);
  const identities = Object.fromEntries(Object.keys(opts.identities ?? {}).map((name) => [name, envOf(creds[name])]));
  const settings = s3SettingsFromEnv(env);
  const storage = new Storage(settings);
  const bucket = opts.bucket ?? 'cfm-test';
  const createBucket = async (name: string) => {
    try {
      await storage.client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (e) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((e as Error).name)) throw e;
    }
  };
  const stop = async () => {
    storage.close();
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (proc.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`weed server exited (${proc.exitCode}): ${out.slice(-2000)}`);
    }
    try {
      await createBucket(bucket);
      await storage.put(`s3://${bucket}/.cfm-warmup`, Buffer.from('x'));
      await storage.remove(`s3://${bucket}/.cfm-warmup`);
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`SeaweedFS did not come up on ${endpoint}: ${(e as Error).message}\n${out.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { endpoint, bucket, accessKeyId, secretAccessKey, env, identities, settings, storage, dir, createBucket, log: () => out, stop };
}
