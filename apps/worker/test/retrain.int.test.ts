import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { RetrainResult } from '@cfm/contracts';
import { readLedger, realSteps, runPipeline } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
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

describe('retrainWorkflow on a real Temporal dev server', () => {
  it('completes on small real data with the same metrics as the in-process runner', async () => {
    await initBackend();
    const local = await runPipeline(smallSpec(mkdtempSync(join(tmpdir(), 'cfm-local-'))), { steps: realSteps() });
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-temporal-'));
    const h = await startRetrain(client, smallSpec(workDir), { workflowId: 'it-retrain' });
    const remote = (await h.result()) as RetrainResult;
    expect(Object.values(remote.nodes).every((s) => s === 'done')).toBe(true);
    expect(remote.training.bert4rec.steps).toBe(local.training.bert4rec.steps);
    const lm = local.evaluations.bert4rec.metrics;
    const rm = remote.evaluations.bert4rec.metrics;
    expect(Object.keys(rm).sort()).toEqual(Object.keys(lm).sort());
    for (const k of Object.keys(lm)) expect(rm[k]).toBeCloseTo(lm[k], 6);
    expect(remote.promoted).toEqual(['bert4rec']);
    // every step did its work once
    const steps = readLedger(workDir).map((e) => e.step).sort();
    expect(steps).toEqual(['evaluate', 'export', 'prepare', 'promote', 'train']);
    await recordHistory(client, h.workflowId);
  }, 300_000);
});
