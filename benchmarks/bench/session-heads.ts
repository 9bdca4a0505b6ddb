/** npx tsx benchmarks/bench/session-heads.ts <dataset|simulator> [seed] [--hidden N] [--k N]
 * Flags: --hidden --epochs --maxLen (model config), --k (candidates), --order session|cocount (next-item list order), --customers, --searchViews and --meanViews (simulator), --tag T (output name suffix).
 * Runs the session-heads downstream suite on one corpus, prints the tables, writes runs/session-heads/<dataset>-s<seed>[-T].json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@cfm/tensor';
import { formatTable, gain, runBench } from '../src/session-heads/bench';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const dataset = positional[0] ?? 'diginetica-cikm2016';
  const seed = Number(positional[1] ?? 1);
  const backend = await initBackend();
  const t0 = Date.now();
  const config = Object.fromEntries(
    (['hidden', 'epochs', 'maxLen'] as const).flatMap((k) => (flag(`--${k}`) !== undefined ? [[k, flag(`--${k}`)]] : [])),
  );
  const tables = await runBench({
    dataset,
    seed,
    k: flag('--k'),
    order: args.includes('--order') ? (args[args.indexOf('--order') + 1] as 'session' | 'cocount') : undefined,
    simCustomers: flag('--customers'),
    searchViewsBefore: flag('--searchViews'),
    meanViews: flag('--meanViews'),
    config,
  });
  const seconds = (Date.now() - t0) / 1000;
  for (const t of tables) {
    process.stdout.write(formatTable(t).join('\n') + '\n\n');
    const by = Object.fromEntries(t.results.map((r) => [r.name, r.metrics]));
    const key = 'auc' in t.results[0].metrics ? 'auc' : 'mrr';
    process.stdout.write(
      `${dataset} ${t.task}: BL+GRU+SCID(GRU) vs BL ${gain(by['BL+GRU+SCID(GRU)'][key], by.BL[key]).toFixed(1)}% (${key}) seed=${seed} backend=${backend.name} ${seconds.toFixed(0)} s\n\n`,
    );
  }
  const dir = join('runs', 'session-heads');
  mkdirSync(dir, { recursive: true });
  const tag = args.includes('--tag') ? `-${args[args.indexOf('--tag') + 1]}` : '';
  writeFileSync(
    join(dir, `${dataset}-s${seed}${tag}.json`),
    JSON.stringify({ dataset, seed, backend: backend.name, seconds, tables }, null, 1),
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(2);
});
