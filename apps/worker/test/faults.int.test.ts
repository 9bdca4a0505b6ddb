import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { BackfillResult, BenchmarkWorkflowResult, RetrainResult } from '@cfm/contracts';
import { backfillDir, readLedger } from '@cfm/pipeline';
import { connect, createRetrainSchedule, runProgress, startBackfill, startRetrain } from '@cfm/scheduler';
import { recordHistory, startDevServer, startWorker, stopProcess, waitFor } from './harness';
import type { DevServer, WorkerProc } from './harness';
import { smallSpec } from './spec';

let server: DevServer;
let client: Client;
let cpu: WorkerProc;
let gpu: WorkerProc;
const timeouts = { heartbeatTimeout: '4s', cpuHeartbeatTimeout: '20s' };
const workDir = mkdtempSync(join(tmpdir(), 'cfm-faults-'));
let trained: RetrainResult;

beforeAll(async () => {
  server = await startDevServer();
  client = await connect(server.address);
  [cpu, gpu] = await Promise.all([startWorker('cpu', server.address), startWorker('gpu', server.address)]);
}, 300_000);

afterAll(async () => {
  if (process.env.CFM_IT_DEBUG) process.stderr.write(`--- cpu\n${cpu?.output()}\n--- gpu\n${gpu?.output()}\n`);
  await Promise.all([cpu && stopProcess(cpu.proc), gpu && stopProcess(gpu.proc)]);
  await client?.connection.close();
  await server?.stop();
}, 60_000);

const record = (workflowId: string) => recordHistory(client, workflowId);

describe('faults, backfills, schedules and load on a real Temporal dev server', () => {
  it('gpu worker SIGKILLed mid-training: the retry resumes from the checkpoint, nothing is duplicated', async () => {
    const every = 10;
    const spec = smallSpec(workDir, { epochs: 8, checkpointEvery: every, name: 'faults' });
    const h = await startRetrain(client, spec, { workflowId: 'it-kill-gpu', timeouts });
    const models = join(workDir, 'models');
    const failed = h.result().then(
      () => undefined,
      (e: Error) => e,
    );
    const trace = await waitFor('training progress', async () => {
      const err = await Promise.race([failed, Promise.resolve(undefined)]);
      if (err) throw err;
      const dir = existsSync(models) && readdirSync(models).find((f) => existsSync(join(models, f, 'progress.jsonl')));
      return dir && join(models, dir, 'progress.jsonl');
    });
    const lines = () =>
      readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { pid: number; step: number });
    // past the first checkpoint and in the middle of the next interval
    await waitFor('step 15', () => lines().some((l) => l.step >= 15 && l.step % every !== 0));
    gpu.proc.kill('SIGKILL');
    const killedPid = gpu.proc.pid;
    await new Promise((r) => gpu.proc.once('exit', r));
    gpu = await startWorker('gpu', server.address);
    const result = (await h.result()) as RetrainResult;
    expect(result.nodes['train:bert4rec']).toBe('done');
    const t = result.training.bert4rec;
    const killedAt = Math.max(
      ...lines()
        .filter((l) => l.pid === killedPid)
        .map((l) => l.step),
    );
    const resumed = lines().filter((l) => l.pid !== killedPid);
    expect(t.resumedFromStep).toBeGreaterThan(0);
    expect(resumed[0].step).toBe(t.resumedFromStep + 1);
    // steps trained twice: from the checkpoint up to where the first attempt died
    expect(killedAt - t.resumedFromStep).toBeLessThanOrEqual(every);
    expect(Math.max(...resumed.map((l) => l.step))).toBe(t.steps);
    const ledger = readLedger(workDir);
    expect(ledger.filter((e) => e.step === 'train')).toHaveLength(1);
    expect(ledger.filter((e) => e.step === 'export')).toHaveLength(1);
    trained = result;
    await record('it-kill-gpu');
  }, 300_000);

  it('backfill over 8 dates × 2 customer shards, cpu worker killed half way, resumed and re-run: each (date, shard) exported once', async () => {
    expect(trained).toBeDefined();
    const prepared = readdirSync(join(workDir, 'prepared'))[0];
    const input = {
      workDir,
      preparedDir: join(workDir, 'prepared', prepared),
      artifactDir: trained.training.bert4rec.artifactDir,
      family: 'bert4rec',
      from: '2024-01-10',
      to: '2024-01-24',
      everyDays: 2,
      topK: 5,
      concurrency: 2,
      partitionsPerRun: 5,
      shards: 2,
    };
    const h = await startBackfill(client, input, { workflowId: 'it-backfill', timeouts });
    const markers = () =>
      existsSync(backfillDir(workDir, 'bert4rec'))
        ? readdirSync(backfillDir(workDir, 'bert4rec')).filter((f) => f.endsWith('.done.json')).length
        : 0;
    await waitFor('half the partitions', () => markers() >= 8);
    cpu.proc.kill('SIGKILL');
    await new Promise((r) => cpu.proc.once('exit', r));
    expect(markers()).toBeLessThan(16);
    cpu = await startWorker('cpu', server.address);
    const r = (await h.result()) as BackfillResult;
    // 8 dates × 2 customer shards
    expect(r.partitions).toBe(16);
    // counters stay right across continue-as-new: every partition counted once, exported or skipped (a racing attempt)
    expect(r.exported + r.skipped).toBe(16);
    expect(r.runs).toBeGreaterThanOrEqual(4);
    const exports = () =>
      readLedger(workDir)
        .filter((e) => e.step === 'exportPartition')
        .map((e) => e.key as string);
    const dates = ['2024-01-10', '2024-01-12', '2024-01-14', '2024-01-16', '2024-01-18', '2024-01-20', '2024-01-22', '2024-01-24'];
    expect(exports().sort()).toEqual(dates.flatMap((d) => [`${d}.s0of2`, `${d}.s1of2`]).sort());
    await record('it-backfill');
    // a re-run finds everything exported and writes nothing
    const again = (await (await startBackfill(client, input, { workflowId: 'it-backfill-rerun', timeouts })).result()) as BackfillResult;
    expect(again).toMatchObject({ partitions: 16, exported: 0, skipped: 16, runs: 1 });
    expect(exports()).toHaveLength(16);
    // status works for every workflow kind, finished ones included
    expect(await runProgress(client, 'it-backfill-rerun')).toMatchObject({ type: 'backfillWorkflow', status: 'COMPLETED', activities: [] });
  }, 300_000);

  it('a retrain schedule is created, triggered and paused through the scheduler app', async () => {
    const spec = smallSpec(workDir, { epochs: 8, checkpointEvery: 10, name: 'faults' });
    const handle = await createRetrainSchedule(client, spec, { scheduleId: 'it-nightly', every: '1d', timeouts });
    await handle.trigger();
    const d = await waitFor('the triggered run', async () => {
      const x = await handle.describe();
      return x.info.recentActions.length > 0 && x;
    });
    const run = client.workflow.getHandle(d.info.recentActions[0].action.workflow.workflowId);
    const r = (await run.result()) as RetrainResult;
    expect(r.training.bert4rec.cached).toBe(true); // same inputs: served from the step cache
    await handle.pause('integration test');
    const after = await handle.describe();
    expect(after.state.paused).toBe(true);
    expect(after.policies.overlap).toBe('SKIP');
    await handle.delete();
  }, 120_000);

  it('20 concurrent small workflows all complete', async () => {
    const t0 = Date.now();
    const handles = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.workflow.start('benchmarkWorkflow', {
          taskQueue: 'cfm-cpu',
          workflowId: `it-load-${i}`,
          args: [
            {
              workDir,
              runDir: trained.training.bert4rec.runDir,
              tasks: [],
              evaluate: [
                { protocol: 'sampled', negatives: 20, sampling: 'uniform', ks: [5], excludeHistory: true, seeds: [i], split: 'test' },
              ],
              timeouts,
            },
          ],
        }),
      ),
    );
    // result() long-polls; under load the dev server may answer DEADLINE_EXCEEDED: ask again
    const result = async (h: (typeof handles)[number]): Promise<BenchmarkWorkflowResult> => {
      for (let i = 0; ; i++) {
        try {
          return await h.result();
        } catch (e) {
          if (i >= 5 || !/deadline/i.test(String((e as Error).cause ?? e))) throw e;
        }
      }
    };
    const results = await Promise.all(handles.map(result));
    const ndcg = results.map((r) => r.evaluation!.results[0].metrics['ndcg@5']);
    expect(ndcg.every(Number.isFinite)).toBe(true);
    // different seeds sample different negatives
    expect(new Set(ndcg).size).toBeGreaterThan(1);
    process.stderr.write(`20 concurrent workflows: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }, 300_000);
});
