/** A short real run that fills the run-directory convention (docs/report.md) end to end:
 * prepare (real dataset) → train BERT4Rec for --steps steps → evaluate (full ranking, test) →
 * save the artifact with provenance → export every customer's embedding (point-in-time) →
 * registry: register, compare with the champion, promote if better.
 * Usage: tsx packages/export/scripts/real-run.ts --dataset movielens-1m --out runs/x --steps 40 [--registry reg.duckdb]
 *        [--prepared <dir>] [--eval-limit 2000] [--as-of 2100-01-01] [--config key=value ...] */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lineProgress, type FitReport } from '@cfm/core';
import { loadPrepared } from '@cfm/data';
import { prepareDataset } from '@cfm/datasets';
import { Registry, codeVersion, parquetStats, saveArtifact } from '@cfm/export';
import { allCustomers, exportEmbeddings, loadModel } from '@cfm/export/model';
import { families, parseOverrides } from '@cfm/models';
import { writeRunFile } from '@cfm/report';
import { backendInfo, describeEval, initBackend, rankEval } from '@cfm/tensor';

const argv = process.argv.slice(2);
const arg = (k: string, d?: string) => (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1] : d);
const multi = (k: string) => argv.flatMap((a, i) => (a === `--${k}` ? [argv[i + 1]] : []));

async function main() {
  const dataset = arg('dataset', 's3rec-beauty')!;
  const out = resolve(arg('out', `runs/real-${dataset}`)!);
  const steps = Number(arg('steps', '40'));
  const seed = Number(arg('seed', '1'));
  const asOf = arg('as-of', '2100-01-01')!;
  const progress = lineProgress((l) => process.stderr.write(l + '\n'), 10_000);
  mkdirSync(out, { recursive: true });
  const compute: Array<{ step: string; seconds: number; backend?: string; throughput?: number; unit?: string }> = [];
  const timed = async <T>(step: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    compute.push({ step, seconds: +((performance.now() - t0) / 1000).toFixed(2), backend: backendInfo()?.name });
    return r;
  };
  const backend = await initBackend();
  const preparedDir = resolve(arg('prepared', join(out, 'data'))!);
  if (!existsSync(join(preparedDir, 'manifest.json'))) await timed('prepare', () => prepareDataset({ dataset, out: preparedDir, progress }));
  const data = await timed('load prepared', () => loadPrepared(preparedDir));
  const family = families.bert4rec;
  const config = family.config.parse({ ...family.presetFor(data.dataset), lr: 1e-3, warmupSteps: 5, epochs: 1, seed, ...parseOverrides(multi('config')) });
  const runId = `${family.name}-${data.dataset}-s${seed}-${Date.now().toString(36)}`;
  writeRunFile(out, 'run.json', { runId, family: family.name, model: family.name, dataset: data.dataset, useCase: 'next_item', seed, backend: backend.name, preparedDir, createdAt: new Date().toISOString(),
    notes: `trained briefly: ${steps} steps of batch ${config.batchSize} (lr ${config.lr}, warm-up ${config.warmupSteps}), not to convergence` });

  const model = family.create(config, data);
  const history: Array<{ step: number; epoch: number; loss: number; seconds: number }> = [];
  const ac = new AbortController();
  let last = performance.now();
  const report: FitReport = await timed('train', () => model.fit(data, {
    epochs: 1, seed, signal: ac.signal,
    onProgress: (p) => {
      if (p.step !== undefined && p.metric === undefined) {
        history.push({ step: p.step, epoch: p.epoch, loss: p.loss, seconds: (performance.now() - last) / 1000 });
        last = performance.now();
      }
      if (p.step >= steps) ac.abort();
    },
  }));
  compute[compute.length - 1].throughput = (report.steps * config.batchSize) / compute[compute.length - 1].seconds;
  compute[compute.length - 1].unit = 'seq/s';
  writeRunFile(out, 'history.json', history);

  const evalOpts = { protocol: 'full', maxLen: config.maxLen, seed, limit: arg('eval-limit') ? Number(arg('eval-limit')) : undefined, progress } as const;
  const result = await timed('evaluate', () => rankEval(model, data, 'test', evalOpts));
  const protocol = `${data.split === 'loo' ? 'leave-one-out' : data.split}, ${describeEval(evalOpts, 'test')}${evalOpts.limit ? `, first ${result.rows} customers` : ''}`;
  const metrics = Object.fromEntries(['hr@1', 'hr@5', 'hr@10', 'ndcg@5', 'ndcg@10', 'hr@20', 'ndcg@20', 'mrr'].map((k) => [k, result.metrics[k]]));
  const dm = data.manifest as { dataHash?: string; cutoffsMs?: number[] };
  const artifact = join(out, 'model');
  await timed('save artifact', () => saveArtifact(model, artifact, {
    dataset: data.dataset, dataHash: dm.dataHash, cutoffs: dm.cutoffsMs ? { valid: iso(dm.cutoffsMs[0]), test: iso(dm.cutoffsMs[1]) } : { split: data.split },
    metrics, metricsProtocol: protocol, codeVersion: codeVersion(), runId,
  }));
  model.dispose();

  const loaded = await loadModel(artifact, { vocabHash: data.vocabs.item.hash, itemFeatures: data.itemFeatures });
  const customers = allCustomers(data);
  const emb = await timed('export embeddings', () => exportEmbeddings({ model: loaded, customers, asOf, out: join(out, 'embeddings.parquet'), progress }));
  compute[compute.length - 1].throughput = emb.customersPerSec;
  compute[compute.length - 1].unit = 'customers/s';
  loaded.dispose();
  const check = await parquetStats(join(out, 'embeddings.parquet'));
  process.stderr.write(`exported ${emb.rows}/${customers.customerIds.length} customers; DuckDB re-read: ${check.rows} rows, ${check.customers} distinct, dim ${check.minDim}\n`);

  let champion: { label: string; protocol: string; metrics: Record<string, number> } | undefined;
  const regFile = arg('registry');
  if (regFile) {
    const reg = await Registry.open(regFile);
    try {
      const prev = await reg.champion(family.name, 'next_item');
      if (prev) {
        const pm = (await reg.metrics(prev.runId)).filter((m) => m.split === 'test');
        champion = { label: prev.runId, protocol: pm[0]?.protocol ?? '', metrics: Object.fromEntries(pm.map((m) => [m.name, m.value])) };
      }
      await reg.registerRun({ runId, family: family.name, useCase: 'next_item', dataset: data.dataset, configHash: loadedConfigHash(artifact), dataHash: dm.dataHash, seed, codeVersion: codeVersion(), runDir: out });
      await reg.recordMetrics(runId, Object.entries(metrics).map(([name, value]) => ({ name, value, protocol })));
      const a = await reg.registerArtifact(runId, artifact);
      const gate = await reg.compareWithChampion(runId, 'ndcg@10').catch((e: Error) => ({ better: false, reason: e.message }));
      if (gate.better) await reg.promote(a.artifactId, gate.reason);
      else await reg.setChallenger(a.artifactId, gate.reason);
      process.stderr.write(`registry: ${gate.reason} → ${gate.better ? 'promoted' : 'challenger'}\n`);
    } finally {
      reg.close();
    }
  }
  writeRunFile(out, 'metrics.json', { protocol, split: 'test', metrics, ...(champion ? { champion } : {}) });
  if (data.userLabels) writeRunFile(out, 'labels.json', data.userLabels);
  writeRunFile(out, 'compute.json', compute);
  process.stdout.write(`run ${runId} → ${out}\n${Object.entries(metrics).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' ')}  [${protocol}]\n`);
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
function loadedConfigHash(dir: string): string {
  return (require(join(dir, 'manifest.json')) as { configHash: string }).configHash;
}

main().catch((e) => {
  process.stderr.write(`real-run failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
