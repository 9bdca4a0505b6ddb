import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { RetrainResult } from '@cfm/contracts';
import { readLedger, realSteps, runPipeline } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
import { Registry } from '@cfm/registry';
import { connect, startRetrain } from '@cfm/scheduler';
import { recordHistory, startDevServer, startWorker, stopProcess } from './harness';
import type { DevServer, WorkerProc } from './harness';
import { smallSpec } from './spec';

let server: DevServer;
let client: Client;
let cpu: WorkerProc;
let gpu: WorkerProc;

beforeAll(async () => {
  server = await startDevServer();
  client = await connect(server.address);
  [cpu, gpu] = await Promise.all([startWorker('cpu', server.address), startWorker('gpu', server.address)]);
}, 300_000);

afterAll(async () => {
  if (process.env.CFM_IT_DEBUG) process.stderr.write(`--- cpu worker\n${cpu?.output()}\n--- gpu worker\n${gpu?.output()}\n`);
  await Promise.all([cpu && stopProcess(cpu.proc), gpu && stopProcess(gpu.proc)]);
  await client?.connection.close();
  await server?.stop();
}, 60_000);

/** a label the simulator gives every customer: its activity level (from its number of sessions) */
const benchmarks = [{ task: 'label', field: 'activity', positive: ['high'], epochs: 5 }];

describe('retrainWorkflow on a real Temporal dev server', () => {
  it('completes on small real data with the same metrics as the in-process runner, benchmarks in the registry and the report', async () => {
    await initBackend();
    const local = await runPipeline(smallSpec(mkdtempSync(join(tmpdir(), 'cfm-local-')), { benchmarks }), { steps: realSteps() });
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-temporal-'));
    const h = await startRetrain(client, smallSpec(workDir, { benchmarks }), { workflowId: 'it-retrain' });
    const remote = (await h.result()) as RetrainResult;
    expect(Object.values(remote.nodes).every((s) => s === 'done')).toBe(true);
    expect(remote.training.bert4rec.steps).toBe(local.training.bert4rec.steps);
    expect(remote.training.bert4rec.artifactHash).toBe(local.training.bert4rec.artifactHash);
    const lm = local.evaluations.bert4rec.results[0].metrics;
    const rm = remote.evaluations.bert4rec.results[0].metrics;
    expect(Object.keys(rm).sort()).toEqual(Object.keys(lm).sort());
    for (const k of Object.keys(lm)) expect(rm[k]).toBeCloseTo(lm[k], 6);
    expect(remote.promoted).toEqual(['bert4rec']);
    // the downstream task ran on a cpu worker: U-MLP and XGBoost on the same frozen vectors
    const bench = remote.benchmarks.bert4rec.results[0];
    expect(bench.task).toBe('label-activity');
    expect(bench.rows.map((r) => r.model)).toContain('U-MLP');
    for (const r of bench.rows) expect(r.metrics.auroc).toBeGreaterThan(0);
    // ... its results are in the registry beside the ranking metrics ...
    const reg = await Registry.open(join(workDir, 'registry.duckdb'));
    try {
      const names = (await reg.metrics(basename(remote.training.bert4rec.runDir))).map((m) => m.name);
      expect(names).toContain('ndcg@10');
      expect(names).toContain('benchmark/label-activity/U-MLP/auroc');
    } finally {
      reg.close();
    }
    // ... and in the run's report
    expect(remote.report?.reportFile).toBe(join(workDir, 'report.html'));
    const html = readFileSync(join(workDir, 'report.html'), 'utf8');
    expect(html).toContain('label-activity');
    expect(html).toContain('U-MLP');
    // every step did its work once
    const steps = readLedger(workDir)
      .map((e) => e.step)
      .sort();
    expect(steps).toEqual(['benchmark', 'evaluate', 'export', 'prepare', 'promote', 'train']);
    await recordHistory(client, h.workflowId);
  }, 300_000);
});
