// Production workers load the prebuilt workflow bundle (workflows/scripts/bundle.ts, run by the images) instead of
// bundling at start-up. This builds the bundle with that script, replays every recorded history against the file,
// and starts the real worker process the way the image's CMD does (--bundle, --health-port) on a dev server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { freePort, repoRoot, startDevServer, stopProcess } from '../test/harness';
import type { DevServer } from '../test/harness';

const bundle = join(mkdtempSync(join(tmpdir(), 'cfm-bundle-')), 'workflow-bundle.js');
const histories = join(repoRoot, 'workflows', 'test', 'histories');

beforeAll(() => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'workflows', 'scripts', 'bundle.ts'), '--out', bundle], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundle.ts failed: ${r.stderr}`);
  expect(r.stdout).toMatch(/^workflow bundle: .*workflow-bundle\.js \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
}, 120_000);

describe('prebuilt workflow bundle', () => {
  it('holds every workflow', () => {
    const code = readFileSync(bundle, 'utf8');
    for (const w of ['retrainWorkflow', 'backfillWorkflow', 'partitionWorkflow', 'benchmarkWorkflow']) expect(code).toContain(w);
    expect(statSync(bundle).size).toBeGreaterThan(10_000);
  });

  it.each(readdirSync(histories).filter((f) => f.endsWith('.json')))(
    'replays %s against the bundle file',
    async (file) => {
      const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(join(histories, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: { codePath: bundle }, replayName: file }, history, file.replace(/\.json$/, ''));
    },
    60_000,
  );
});

describe('cfm-worker started from the bundle', () => {
  let server: DevServer | undefined;
  beforeAll(async () => {
    server = await startDevServer();
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('polls from the prebuilt bundle, is ready on /readyz, and stops on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'apps', 'worker', 'src', 'main.ts'),
        '--queue',
        'cpu',
        '--address',
        server!.address,
        '--bundle',
        bundle,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, CFM_HEALTH_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined))?.status;
    try {
      const deadline = Date.now() + 240_000;
      let sawStarting = false;
      while (!out.includes(' ready')) {
        if (proc.exitCode !== null) throw new Error(`worker exited: ${out}`);
        if (Date.now() > deadline) throw new Error(`worker did not start: ${out}`);
        if ((await status('/healthz')) === 200 && (await status('/readyz')) === 503) sawStarting = true;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(out).toContain(`workflows from the prebuilt bundle ${bundle}`);
      expect(sawStarting).toBe(true); // the probes answered during start-up: alive, not ready
      let ready: number | undefined;
      for (let i = 0; i < 50 && ready !== 200; i++) {
        ready = await status('/readyz');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(200);
      expect(await status('/healthz')).toBe(200);
      await stopProcess(proc, 'SIGTERM');
      expect(proc.exitCode).toBe(0);
      expect(out).toContain('cfm-worker: stopped');
    } finally {
      await stopProcess(proc, 'SIGKILL');
    }
  }, 300_000);
});

it('the bundle script refuses unknown arguments', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'workflows', 'scripts', 'bundle.ts'), '--outt', 'x'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  expect(r.status).toBe(2);
  expect(existsSync(join(repoRoot, 'x'))).toBe(false);
}, 60_000);
