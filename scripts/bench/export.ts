/** bench:export — customers/s of batch embedding export (embed + Parquet write) for the BERT4Rec
 * benchmark config (hidden 64, 2 layers, 2 heads, max length 50) on the S3-Rec Beauty vocabulary and
 * customers. Weights are freshly initialised (throughput does not depend on training).
 * Usage: npm run bench:export -- [--backend tensorflow|wasm|cpu] [--batch 512,1024] [--repeat 3] [--workers N]
 * --workers: embedding worker threads next to the main thread (default availableParallelism() - 1; 0 = main only).
 * Both columns use the workers (embedBatchesAsync). */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESERVED_TOKENS, configHash, lineProgress } from '@cfm/core';
import { parquetStats, saveArtifact } from '@cfm/export';
import { exportEmbeddings, loadModel } from '@cfm/export/model';
import { families } from '@cfm/models';
import { backendInfo, initBackend, type BackendName } from '@cfm/tensor';
import { BENCH_CONFIG } from './train-config';
import { loadBeauty } from './train-data';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main() {
  const backend = arg('backend', 'tensorflow') as BackendName;
  const batches = arg('batch', '256,512,1024').split(',').map(Number);
  const repeat = Number(arg('repeat', '3'));
  const workers = Number(arg('workers', String(Math.max(0, availableParallelism() - 1))));
  await initBackend({ prefer: backend });
  const { seqs, itemCount } = loadBeauty('real', BENCH_CONFIG.maxLen);
  const tokens = [...RESERVED_TOKENS, ...Array.from({ length: itemCount - RESERVED_TOKENS.length }, (_, i) => `beauty-${i + 1}`)];
  const item = { name: 'item', tokens, hash: configHash(tokens) };
  const family = families.bert4rec;
  const config = family.config.parse({ ...BENCH_CONFIG });
  const root = mkdtempSync(join(tmpdir(), 'cfm-bench-export-'));
  try {
    const created = family.create(config, { vocabs: { item }, itemFeatures: {} });
    await saveArtifact(created, join(root, 'model'), { dataset: 's3rec-beauty', metricsProtocol: 'untrained (throughput benchmark)' });
    created.dispose();
    const tw = performance.now();
    const model = await loadModel(join(root, 'model'), { vocabHash: item.hash, initBackend: false, workers });
    const loadSeconds = (performance.now() - tw) / 1000;
    const n = seqs.customerIds.length;
    const info = backendInfo();
    process.stderr.write(
      `bench:export: ${n} Beauty customers, ${itemCount} items, config ${JSON.stringify(BENCH_CONFIG)}, backend ${info?.name} (${info?.reason}), ${workers} worker thread(s) + main (model load incl. workers ${loadSeconds.toFixed(2)} s, not timed)\n`,
    );
    // warm-up (kernel compilation, first allocation)
    await exportEmbeddings({ model, customers: seqs, asOf: '2100-01-01', out: join(root, 'warm.parquet'), batchSize: 512 });
    const rows: Array<Record<string, number | string>> = [];
    for (const batchSize of batches) {
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        const ecpu0 = process.cpuUsage();
        for await (const b of model.embedBatchesAsync(seqs, { batchSize })) void b; // embed only, nothing written
        const ecpu = process.cpuUsage(ecpu0);
        const embedOnly = n / ((performance.now() - t0) / 1000);
        const out = join(root, `emb-${batchSize}-${r}.parquet`);
        const cpu0 = process.cpuUsage();
        const res = await exportEmbeddings({
          model,
          customers: seqs,
          asOf: '2100-01-01',
          out,
          batchSize,
          progress: r === 0 ? lineProgress() : undefined,
        });
        const cpu = process.cpuUsage(cpu0);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        const check = await parquetStats(out);
        if (check.rows !== n) throw new Error(`re-read ${check.rows} rows, expected ${n}`);
        rows.push({
          backend: info?.name ?? '?',
          batchSize,
          run: r + 1,
          'embed customers/s': Math.round(embedOnly),
          'embed CPU s': +((ecpu.user + ecpu.system) / 1e6).toFixed(2),
          'export customers/s': Math.round(res.customersPerSec),
          'export s': +res.seconds.toFixed(2),
          'CPU s': +cpuSeconds.toFixed(2),
          'customers/CPU-s': Math.round(n / cpuSeconds),
          'load avg': +loadavg()[0].toFixed(1),
          'file MB': +(res.bytes / 1e6).toFixed(1),
        });
      }
    }
    console.table(rows);
    const best = Math.max(...rows.map((r) => r['export customers/s'] as number));
    const perCpu = Math.max(...rows.map((r) => r['customers/CPU-s'] as number));
    process.stdout.write(
      `bench:export best ${best} customers/s wall-clock end-to-end (embed + Parquet write + rename), target 20000: ${best >= 20000 ? 'met' : 'NOT met'}; ` +
        `best ${perCpu} customers per CPU-second (${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)})\n`,
    );
    model.dispose();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:export failed: ${(e as Error).message}\n`);
  process.exit(1);
});
