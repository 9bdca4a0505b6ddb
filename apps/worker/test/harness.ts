// Integration-test harness: a real Temporal dev server (the `temporal` CLI from tools/, installed by
// infra/temporal/install.sh) on a free loopback port with a temp SQLite file, and worker processes
// started as children so that tests can SIGKILL them.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdirSync, writeFileSync } from 'node:fs';

export const repoRoot = resolve(__dirname, '..', '..', '..');
const binary = join(repoRoot, 'tools', 'temporal', 'bin', 'temporal');

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

export interface DevServer {
  address: string;
  stop(): Promise<void>;
}

export async function startDevServer(): Promise<DevServer> {
  if (!existsSync(binary)) {
    const r = spawnSync('bash', [join(repoRoot, 'infra', 'temporal', 'install.sh')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('could not install the Temporal CLI (infra/temporal/install.sh)');
  }
  const port = await freePort();
  const db = join(mkdtempSync(join(tmpdir(), 'cfm-temporal-')), 'dev.sqlite');
  const proc = spawn(
    binary,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      db,
      '--headless',
      '--log-level',
      'error',
      '--http-port',
      String(await freePort()),
      '--metrics-port',
      String(await freePort()),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`temporal dev server exited: ${stderr}`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`temporal dev server did not come up on ${address}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return { address, stop: () => stopProcess(proc) };
}

export function stopProcess(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.once('exit', () => {
      clearTimeout(t);
      ok();
    });
    p.kill(signal);
  });
}

export interface WorkerProc {
  proc: ChildProcess;
  output: () => string;
}

/** `cfm-worker --queue <queue>` as a child process; resolves once it polls its task queue. */
export async function startWorker(queue: 'cpu' | 'gpu', address: string, extraEnv: Record<string, string> = {}): Promise<WorkerProc> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'apps', 'worker', 'src', 'main.ts'), '--queue', queue, '--address', address],
    {
      cwd: repoRoot,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 240_000;
  while (!out.includes('ready')) {
    if (proc.exitCode !== null) throw new Error(`${queue} worker exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`${queue} worker did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, output: () => out };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** With CFM_RECORD_HISTORIES=1: writes the workflow's history to workflows/test/histories/<workflowId>.json
 * (protobufjs toObject form: the replay test reads it back with History.fromObject). */
export async function recordHistory(client: Client, workflowId: string): Promise<void> {
  if (!process.env.CFM_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const obj = temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, {
    longs: String,
    enums: String,
    bytes: String,
  });
  const dir = join(repoRoot, 'workflows', 'test', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${workflowId}.json`), JSON.stringify(obj));
}
