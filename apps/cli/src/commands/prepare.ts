import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CfmError, formatDuration, withFolderLock, type ProgressReporter } from '@cfm/core';
import { relocatePrepared } from '@cfm/data';
import { cliProgress } from '../progress';
import { prepareDataset, type PreparedManifest } from '@cfm/datasets';

interface PrepareOptions {
  dataset: string;
  split?: string;
  out: string;
  dataDir?: string;
  db?: string;
  maxSeqLen?: string;
  dedup?: string;
  cutoffs?: string;
  minItemCount?: string;
  tsUnit?: string;
  nullTokens?: string;
}

function num(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CfmError('CFM_E_CONFIG', `expected a number, got "${v}"`, { field });
  return n;
}

/** The closing summary: users, items, events, quarantined, and per split customers / events. */
export function summaryTable(m: PreparedManifest): string {
  const rows: string[][] = [
    ['', 'customers', 'events'],
    ['all', String(m.counts.users), String(m.counts.events)],
    ...Object.entries(m.splits).map(([name, s]) => [name, String(s.customers), String(s.events)]),
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ')).join('\n');
  // the events in input lines (an adapter's raw lines where each is one event): input = events + quarantined + duplicates
  const l = m.eventLines;
  const reconciled = l
    ? [`input ${l.input} ${l.unit} = events ${l.events} + quarantined ${l.quarantined} + duplicates removed ${l.duplicates}`]
    : [];
  const warnings = m.warnings ?? [];
  return [
    `dataset ${m.dataset} (split ${m.split}): users ${m.counts.users}, items ${m.counts.items}, events ${m.counts.events}, ` +
      `quarantined ${m.counts.quarantined}, duplicates removed ${m.counts.duplicates}`,
    ...reconciled,
    ...(warnings.length ? [`warnings ${warnings.length}:`, ...warnings.map((w) => `  ${w.message}`)] : []),
    table,
  ].join('\n');
}

/** One writer per --out folder (a second `cfm prepare` into it waits), built beside it and swapped in complete: a
 * killed or failed prepare leaves the previous folder as it was (and a .partial folder the next run removes). */
async function preparedAtomically<T>(
  out: string,
  prepare: (dir: string) => Promise<T>,
  progress: ProgressReporter,
  catalogInside: boolean,
): Promise<T> {
  const dir = resolve(out);
  return withFolderLock(
    dir,
    'cfm prepare',
    async () => {
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      const m = await prepare(partial);
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
      if (catalogInside) await relocatePrepared(dir);
      return m;
    },
    { onWait: (o) => progress.log(`waiting for ${dir}: another prepare writes it (pid ${o.pid} on ${o.host})`) },
  );
}

export function registerPrepare(program: Command): void {
  program
    .command('prepare')
    .description('ingest, validate and split a dataset into sequence shards (Arrow IPC) + vocabularies + manifest')
    .requiredOption(
      '--dataset <name|path:dir>',
      'a dataset name (see `cfm datasets list`) or path:<dir> of contract files under the data dir',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--split <kind>', 'temporal | loo | customer (default: the dataset protocol)')
    .option('--data-dir <dir>', 'datasets folder (default: $CFM_DATA_DIR or ../shared/datasets)')
    .option('--db <file>', 'DuckDB catalog file (default <out>/catalog.duckdb; :memory: for none)')
    .option('--max-seq-len <n>', 'keep the most recent n events per customer')
    .option('--dedup <mode>', 'none | exact | day')
    .option('--cutoffs <t1,t2>', 'temporal cut-offs, ISO dates or epoch ms')
    .option('--min-item-count <n>', 'items seen fewer times map to [OOV]')
    .option('--ts-unit <unit>', 'unit of numeric ts values: s | ms | us (default ms; ISO-8601 times need none)')
    .option('--null-tokens <a,b,...>', 'strings read as null in every field (default: NULL,null,None,NaN; empty is always null)')
    .action(async (opts: PrepareOptions) => {
      const config: Record<string, unknown> = {};
      if (opts.maxSeqLen) config.maxSeqLen = num(opts.maxSeqLen, '--max-seq-len');
      if (opts.minItemCount) config.minItemCount = num(opts.minItemCount, '--min-item-count');
      if (opts.dedup) config.dedup = opts.dedup;
      if (opts.tsUnit) config.tsUnit = opts.tsUnit;
      if (opts.nullTokens !== undefined) config.nullTokens = opts.nullTokens.split(',');
      if (opts.cutoffs) config.cutoffsMs = opts.cutoffs.split(',').map((t) => (/^\d+$/.test(t) ? Number(t) : Date.parse(t)));
      const split = opts.split as 'temporal' | 'loo' | 'customer' | undefined;
      if (split && !['temporal', 'loo', 'customer'].includes(split))
        throw new CfmError('CFM_E_CONFIG', `unknown split "${split}"`, { field: '--split' });
      const progress = cliProgress();
      const t0 = Date.now();
      try {
        if (opts.db && opts.db !== ':memory:' && !existsSync(dirname(resolve(opts.db)))) {
          throw new CfmError('CFM_E_FILE', 'the folder of the DuckDB catalog file does not exist', { file: opts.db, field: '--db' });
        }
        const m = await preparedAtomically(
          opts.out,
          (out) => prepareDataset({ dataset: opts.dataset, split, out, dataDir: opts.dataDir, dbPath: opts.db, config, progress }),
          progress,
          !opts.db,
        );
        process.stdout.write(`${summaryTable(m)}\nwrote ${opts.out} in ${formatDuration((Date.now() - t0) / 1000)}\n`);
      } finally {
      }
    });
}
