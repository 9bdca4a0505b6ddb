/** Beyond one machine: two cpu workers and one gpu worker that share nothing but an object store (SeaweedFS, s3://)
 * and Temporal (each its own scratch folder; URIs everywhere; the champion registry on PostgreSQL), a retrain and a
 * backfill, one cpu worker killed mid-way: every output present once, the registry consistent. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { BackfillResult, RetrainResult } from '@cfm/contracts';
import { openRegistry } from '@cfm/registry';
import { startPostgres, type PostgresServer } from '@cfm/registry/testing';
import { openWorkspace } from '@cfm/pipeline';
import { connect, startBackfill, startRetrain } from '@cfm/scheduler';
import { FOLDER_MANIFEST } from '@cfm/storage';
import { startSeaweed, type SeaweedServer } from '@cfm/storage/testing';
import { startDevServer, startWorker, stopProcess, waitFor } from './harness';
import type { DevServer, WorkerProc } from './harness';
import { smallSpec } from './spec';

let server: DevServer;
let s3: SeaweedServer;
let pg: PostgresServer;
let client: Client;
const workers: WorkerProc[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'cfm-cluster-'));
const timeouts = { heartbeatTimeout: '8s', cpuHeartbeatTimeout: '10s' };

/** a worker's environment: the store's and the registry's addresses and credentials, and a scratch folder of its own */
const envOf = (name: string) => ({
  ...s3.env,
  CFM_REGISTRY_URL: pg.url,
  CFM_SCRATCH_DIR: join(scratch, name),
  CFM_DATA_DIR: join(scratch, 'no-datasets'),
});

beforeAll(async () => {
  [server, s3, pg] = await Promise.all([startDevServer(), startSeaweed(), startPostgres()]);
  client = await connect(server.address);
  workers.push(
    ...(await Promise.all([
      startWorker('cpu', server.address, envOf('cpu-a')),
      startWorker('cpu', server.address, envOf('cpu-b')),
      startWorker('gpu', server.address, envOf('gpu')),
    ])),
  );
}, 300_000);

afterAll(async () => {
  if (process.env.CFM_IT_DEBUG) process.stderr.write(workers.map((w) => w.output()).join('\n-----\n'));
  await Promise.all(workers.map((w) => stopProcess(w.proc)));
  await client?.connection.close();
  await Promise.all([server?.stop(), s3?.stop(), pg?.stop()]);
}, 60_000);

describe('a cluster that shares nothing but the object store and Temporal', () => {
  it('retrain (prep over 3 shards) + backfill on s3:// with a cpu worker killed mid-way: every output once, registry consistent', async () => {
    const workDir = `s3://${s3.bucket}/runs/cluster`;
    const spec = smallSpec(workDir, {
      epochs: 3,
      name: 'cluster',
      shards: 3,
      benchmarks: [{ task: 'label', field: 'activity', positive: ['high'], epochs: 3 }],
    });
    expect(spec.workDir).toBe(workDir);
    const ws = openWorkspace(workDir, { storage: s3.storage, scratch: join(scratch, 'test') });
    const h = await startRetrain(client, spec, { workflowId: 'it-cluster', timeouts });
    // kill one cpu worker once training has started (the other runs the workflow and the cpu steps from then on)
    await waitFor('training under way', async () => (await ws.readLedger()).some((e) => e.step === 'prepare'), 240_000);
    const [victim] = workers.splice(0, 1);
    victim.proc.kill('SIGKILL');
    await new Promise((r) => victim.proc.once('exit', r));
    const r = (await h.result()) as RetrainResult;
    expect(Object.values(r.nodes).every((s) => s === 'done')).toBe(true);
    const t = r.training.bert4rec;
    expect(t.runDir.startsWith(`${workDir}/models/`)).toBe(true);
    expect(t.artifactDir).toBe(`${t.runDir}/model`);

    // every output is in the store, published complete (its manifest last)
    expect(await s3.storage.exists(`${t.artifactDir}/${FOLDER_MANIFEST}`)).toBe(true);
    expect(await s3.storage.exists(`${t.runDir}/exports/${FOLDER_MANIFEST}`)).toBe(true);
    for (const f of ['run.json', 'train.json', 'eval.json', 'benchmarks.json', 'export.json', 'gate.json', 'promote.json'])
      expect(await s3.storage.exists(`${t.runDir}/${f}`), f).toBe(true);
    for (const f of ['summary.json', 'report.html']) expect(await s3.storage.exists(`${workDir}/${f}`), f).toBe(true);
    expect(r.report?.reportFile).toBe(`${workDir}/report.html`);

    // the registry (PostgreSQL) holds the model at its URI, as the champion, with its benchmark results
    const reg = await openRegistry(pg.url);
    try {
      const champ = await reg.champion('bert4rec', 'next-item');
      expect(champ?.path).toBe(t.artifactDir);
      const names = (await reg.metrics(champ!.runId)).map((m) => m.name);
      expect(names).toContain('ndcg@10');
      expect(names).toContain('benchmark/label-activity/U-MLP/auroc');
      expect((await reg.history('bert4rec', 'next-item')).filter((e) => e.action === 'promote')).toHaveLength(1);
    } finally {
      await reg.close();
    }

    // a backfill of that model over 6 partitions, by URI
    const b = (await (
      await startBackfill(
        client,
        {
          workDir,
          preparedDir: `${workDir}/prepared/${(await ws.names(ws.at('prepared'))).find((n) => !n.includes('.'))}`,
          artifactDir: t.artifactDir,
          family: 'bert4rec',
          from: '2024-01-10',
          to: '2024-01-20',
          everyDays: 2,
          topK: 5,
          concurrency: 2,
          partitionsPerRun: 4,
        },
        { workflowId: 'it-cluster-backfill', timeouts },
      )
    ).result()) as BackfillResult;
    expect(b).toMatchObject({ partitions: 6, exported: 6, skipped: 0 });
    const markers = (await ws.names(ws.at('backfill', 'bert4rec'))).filter((n) => n.endsWith('.done.json'));
    expect(markers).toHaveLength(6);

    // every step did its work once, across the three workers (one of them killed)
    // the prep fanned out over 3 customer shards across the cpu workers
    expect(Object.keys(r.nodes).filter((n) => n.startsWith('prepare:stats@'))).toHaveLength(3);
    const ledger = await ws.readLedger();
    for (const step of ['prepare', 'train', 'evaluate', 'benchmark', 'export', 'promote'])
      expect(
        ledger.filter((e) => e.step === step),
        step,
      ).toHaveLength(1);
    expect(
      ledger
        .filter((e) => e.step === 'exportPartition')
        .map((e) => e.asOf)
        .sort(),
    ).toEqual(['2024-01-10', '2024-01-12', '2024-01-14', '2024-01-16', '2024-01-18', '2024-01-20']);
    // the workers shared no folder: each wrote only into its own scratch folder
    expect(readdirSync(scratch).sort()).toEqual(expect.arrayContaining(['cpu-b', 'gpu']));
  }, 600_000);
});
