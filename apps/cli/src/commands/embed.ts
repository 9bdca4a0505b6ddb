import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { dateOption, intOption } from '../options';
import { cliProgress } from '../progress';
import { loadPrepared } from '@cfm/data';
import { parquetStats } from '@cfm/export';
import { allCustomers, exportEmbeddings, loadModel } from '@cfm/export/model';

/** cfm embed --model <artifact dir> --data <prepared dir> --as-of 2024-03-01 --out embeddings.parquet */
export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('point-in-time batch export of customer embeddings to Parquet (only events before --as-of are used)')
    .requiredOption('--model <dir>', 'model artifact directory (or a run directory with model/)')
    .requiredOption('--data <dir>', 'prepared dataset directory (cfm prepare / cfm train output)')
    .requiredOption('--as-of <date>', 'YYYY-MM-DD (UTC): events at or after it are not seen', dateOption('--as-of'))
    .requiredOption('--out <file>', 'output Parquet file (written atomically)')
    .option('--batch-size <n>', 'customers per batch', intOption('--batch-size', 1, 1_000_000), 512)
    .option(
      '--workers <n>',
      'embedding worker threads next to the main thread (default: cores - 1)',
      intOption('--workers', 0, 64),
      Math.max(0, availableParallelism() - 1),
    )
    .action(async (o: { model: string; data: string; asOf: string; out: string; batchSize: number; workers: number }) => {
      const dir = existsSync(join(o.model, 'manifest.json')) ? o.model : join(o.model, 'model');
      const data = await loadPrepared(o.data);
      const model = await loadModel(dir, { vocabHash: data.vocabs.item.hash, itemFeatures: data.itemFeatures, workers: o.workers });
      try {
        const customers = allCustomers(data);
        // every customer of the prepared data is accounted for: exported, no event before --as-of, or in no sequence at all
        const users = Number((data.manifest.counts as { users?: number } | undefined)?.users ?? customers.customerIds.length);
        const unsequenced = users - customers.customerIds.length;
        const first = customers.times.reduce((a, t) => Math.min(a, t), Infinity);
        const asOfS = Date.parse(`${o.asOf}T00:00:00Z`) / 1000;
        if (asOfS <= first)
          process.stderr.write(
            `warning: --as-of ${o.asOf} is at or before every event (the first is ${new Date(first * 1000).toISOString().slice(0, 10)}): no customer has a history\n`,
          );
        if (unsequenced > 0)
          process.stderr.write(
            `warning: ${unsequenced} of the prepared data's ${users} customers are in no sequence (all their events fell out in prepare) and are not exported\n`,
          );
        const r = await exportEmbeddings({ model, customers, asOf: o.asOf, out: o.out, batchSize: o.batchSize, progress: cliProgress() });
        const check = await parquetStats(o.out);
        process.stdout.write(
          `exported ${r.rows} of ${users} customers (${r.skipped} without events before ${o.asOf}${unsequenced > 0 ? `, ${unsequenced} in no sequence` : ''}) as ${model.manifest.family} ` +
            `${model.modelVersion}, dim ${model.embeddingDim}, in ${r.seconds.toFixed(2)} s (${Math.round(r.customersPerSec)} customers/s) → ${o.out}\n` +
            `re-read with DuckDB read_parquet: ${check.rows} rows, ${check.customers} distinct customers, vector length ${check.minDim}..${check.maxDim}\n`,
        );
      } finally {
        model.dispose();
      }
    });
}
