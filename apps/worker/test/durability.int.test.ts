/** Faults on a real Temporal dev server: nothing lost, nothing duplicated, no partial output visible. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { RetrainResult } from '@cfm/contracts';
import { Registry } from '@cfm/registry';
import { readLedger } from '@cfm/pipeline';
import { connect, runProgress, startRetrain } from '@cfm/scheduler';
import { startDevServer, startWorker, stopProcess, waitFor } from './harness';
import type { DevServer, WorkerProc } from './harness';
import { smallSpec } from './spec';

let server: DevServer;
let client: Client;
let cpu: WorkerProc;
let gpu: WorkerProc[] = [];
const timeouts = { heartbeatTimeout: '6s', cpuHeartbeatTimeout: '20s' };
const root = mkdtempSync(join(tmpdir(), 'cfm-durability-'));

beforeAll(async () => {
  server = await startDevServer();
  client = await connect(server.address);
  [cpu, ...gpu] = await Promise.all([startWorker('cpu', server.address), startWorker('gpu', server.address)]);
}, 300_000);

afterAll(async () => {
  if (process.env.CFM_IT_DEBUG) process.stderr.write(`--- cpu\n${cpu?.output()}\n${gpu.map((g) => `--- gpu\n${g.output()}`).join('\n')}\n`);
  await Promise.all([cpu && stopProcess(cpu.proc), ...gpu.map((g) => stopProcess(g.proc))]);
  await client?.connection.close();
  await server?.stop();
}, 60_000);

/** the model folder's per-step trace once training has started */
async function traceOf(workDir: string, failed: Promise<unknown>): Promise<string> {
  const models = join(workDir, 'models');
  return waitFor('training progress', async () => {
    const err = await Promise.race([failed, Promise.resolve(undefined)]);
    if (err) throw err;
    const dir = existsSync(models) && readdirSync(models).find((f) => existsSync(join(models, f, 'progress.jsonl')));
    return dir && join(models, dir, 'progress.jsonl');
  });
}
const steps = (trace: string) =>
  readFileSync(trace, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { pid: number; step: number });

describe('durability under faults on a real Temporal dev server', () => {
  it('SIGTERM of the gpu worker mid-training: the attempt ends with its checkpoint and no model; another worker resumes from it', async () => {
    const workDir = join(root, 'sigterm');
    // checkpoints only at epoch ends (every 16 steps) and at the cancellation
    const spec = smallSpec(workDir, { epochs: 8, checkpointEvery: 1000, name: 'sigterm' });
    const h = await startRetrain(client, spec, { workflowId: 'it-sigterm', timeouts });
    const trace = await traceOf(
      workDir,
      h.result().then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    await waitFor('step 20', () => steps(trace).some((l) => l.step >= 20 && l.step % 16 !== 0));
    // status shows the training's progress, a few seconds old at most
    const status = await waitFor('a training heartbeat', async () => {
      const st = await runProgress(client, 'it-sigterm');
      return st.activities.find((a) => a.type === 'trainModel' && a.heartbeatAgeSeconds !== undefined) && st;
    });
    const beat = status.activities.find((a) => a.type === 'trainModel')!;
    expect(beat.heartbeatAgeSeconds).toBeLessThanOrEqual(10);
    expect((beat.heartbeat as { step: number }).step).toBeGreaterThan(0);
    expect(status).toMatchObject({ type: 'retrainWorkflow', status: 'RUNNING' });
    const [victim] = gpu.splice(0, 1);
    victim.proc.kill('SIGTERM');
    await new Promise((r) => victim.proc.once('exit', r));
    const runDir = trace.slice(0, -'/progress.jsonl'.length);
    // cancellation is not success: no model was saved, the checkpoint was
    expect(existsSync(join(runDir, 'model'))).toBe(false);
    expect(readdirSync(join(runDir, 'checkpoints')).length).toBeGreaterThan(0);
    gpu.push(await startWorker('gpu', server.address));
    const r = (await h.result()) as RetrainResult;
    const t = r.training.bert4rec;
    const killedAt = Math.max(
      ...steps(trace)
        .filter((l) => l.pid === victim.proc.pid)
        .map((l) => l.step),
    );
    // the checkpoint written at the cancellation: no optimizer step is trained twice
    expect(t.resumedFromStep).toBe(killedAt);
    expect(steps(trace).filter((l) => l.pid !== victim.proc.pid)[0].step).toBe(killedAt + 1);
    expect(Math.max(...steps(trace).map((l) => l.step))).toBe(t.steps);
    expect(readLedger(workDir).filter((e) => e.step === 'train')).toHaveLength(1);
  }, 300_000);

  it('two retrains of one spec at once (two gpu workers): one training, both runs get the same model', async () => {
    gpu.push(await startWorker('gpu', server.address));
    const workDir = join(root, 'twice');
    const spec = smallSpec(workDir, { epochs: 4, name: 'twice' });
    const [a, b] = (await Promise.all([
      startRetrain(client, spec, { workflowId: 'it-twice-a', timeouts }).then((h) => h.result()),
      startRetrain(client, spec, { workflowId: 'it-twice-b', timeouts }).then((h) => h.result()),
    ])) as RetrainResult[];
    expect(a.training.bert4rec.artifactHash).toBe(b.training.bert4rec.artifactHash);
    const ledger = readLedger(workDir);
    for (const step of ['prepare', 'train', 'export'])
      expect(
        ledger.filter((e) => e.step === step),
        step,
      ).toHaveLength(1);
    // one of them promoted it; the other found it already the champion
    expect([...a.promoted, ...b.promoted]).toEqual(['bert4rec']);
  }, 300_000);

  it('two challengers at once: each promotion is checked against the champion its gate saw, so both cannot win it', async () => {
    const workDir = join(root, 'challengers');
    const first = smallSpec(workDir, { epochs: 1, name: 'challengers' });
    await (await startRetrain(client, first, { workflowId: 'it-champion', timeouts })).result();
    const reg0 = await Registry.open(join(workDir, 'registry.duckdb'));
    const before = (await reg0.champion('bert4rec', 'next-item'))!.artifactId;
    reg0.close();
    // two different challengers (other seeds, more epochs), gated against the same registry at the same time
    const specs = [3, 5].map((seed) => smallSpec(workDir, { epochs: 4, name: 'challengers', seeds: [seed] }));
    const results = (await Promise.all(
      specs.map((s, i) => startRetrain(client, s, { workflowId: `it-challenger-${i}`, timeouts }).then((h) => h.result())),
    )) as RetrainResult[];
    const gates = results.map((r) => r.gates.bert4rec);
    const promoted = results.map((r) => r.promoted.includes('bert4rec'));
    // challengers gated against the same champion: at most one is promoted
    if (gates[0].championArtifact === gates[1].championArtifact) expect(promoted.filter(Boolean).length).toBeLessThanOrEqual(1);
    const reg = await Registry.open(join(workDir, 'registry.duckdb'));
    try {
      const history = await reg.history('bert4rec', 'next-item');
      const promotions = history.filter((e) => e.action === 'promote').map((e) => e.artifactId);
      // every promotion replaced the champion its gate compared against
      expect(promotions[0]).toBe(before);
      expect(promotions.length).toBe(1 + promoted.filter(Boolean).length);
    } finally {
      reg.close();
    }
  }, 300_000);

  it('kill -9 of the cpu worker during prepare: the retry prepares again, the prepared folder is complete and no leftover is visible', async () => {
    const workDir = join(root, 'prepare-kill');
    const spec = smallSpec(workDir, { epochs: 1, name: 'prepare-kill', customers: 3000 });
    const h = await startRetrain(client, spec, { workflowId: 'it-prepare-kill', timeouts });
    const prepared = join(workDir, 'prepared');
    await waitFor('prepare under way', () => existsSync(prepared) && readdirSync(prepared).some((d) => d.endsWith('.partial')), 120_000);
    cpu.proc.kill('SIGKILL');
    await new Promise((r) => cpu.proc.once('exit', r));
    cpu = await startWorker('cpu', server.address);
    const r = (await h.result()) as RetrainResult;
    expect(r.nodes.prepare).toBe('done');
    expect(readdirSync(prepared).filter((d) => !d.endsWith('.lock'))).toHaveLength(1);
    expect(readdirSync(prepared).some((d) => d.endsWith('.partial'))).toBe(false);
    expect(readLedger(workDir).filter((e) => e.step === 'prepare')).toHaveLength(1);
  }, 300_000);
});
