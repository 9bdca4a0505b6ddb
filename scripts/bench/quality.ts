/** npm run bench:quality -- <family> [--quick]
 * Runs one family's quality suite: trains each dataset (or resumes an existing run under runs/bench/),
 * evaluates every protocol, and prints one line per dataset × protocol × metric with the target.
 * Later families add their suites to SUITES. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lineProgress } from '@cfm/core';
import { evalRun, trainRun } from '@cfm/models';
import { initBackend, type ProtocolName } from '@cfm/tensor';
import { sessionHeadsSuite } from '@cfm/model-session-heads';
import { runMcmSuite } from './quality-mcm';
import { runDmtSuite } from './quality-dmt';
import { run as runShopperBertSuite } from './shopperbert';

interface Check {
  protocol: ProtocolName;
  metric: string;
  /** published number to reach (≥) */
  target: number;
  source: string;
}
interface SuiteEntry {
  dataset: string;
  epochs: number;
  config: Record<string, unknown>;
  seed: number;
  checks: Check[];
}

const S3REC = 'S3-Rec paper, BERT4Rec row';
const PETROV = 'Petrov & Macdonald 2022';
export const SUITES: Record<string, SuiteEntry[]> = {
  bert4rec: [
    {
      dataset: 's3rec-beauty',
      epochs: 40,
      seed: 1,
      config: { lr: 1e-3, patience: 5, validateEvery: 2 },
      checks: [
        { protocol: 'sampled-uniform', metric: 'ndcg@10', target: 0.2975, source: S3REC },
        { protocol: 'sampled-uniform', metric: 'hr@10', target: 0.4739, source: S3REC },
        { protocol: 'full', metric: 'ndcg@10', target: 0.017, source: S3REC },
      ],
    },
    {
      dataset: 'movielens-1m',
      epochs: 100,
      seed: 1,
      config: { lr: 1e-3, batchSize: 128, validateEvery: 2 },
      checks: [
        { protocol: 'full', metric: 'ndcg@10', target: 0.1516, source: PETROV },
        { protocol: 'sampled-pop', metric: 'ndcg@10', target: 0.4751, source: PETROV },
      ],
    },
  ],
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const family = args.find((a) => !a.startsWith('--')) ?? 'bert4rec';
  if (family === 'mcm') return initBackend().then(() => runMcmSuite(args));
  if (family === 'dmt') return initBackend().then(() => runDmtSuite(args));
  if (family === 'shopperbert') return runShopperBertSuite(args.includes('--quick'));
  if (family === 'session-heads') return initBackend().then(() => sessionHeadsSuite(args.includes('--quick'))).then((missed) => void (process.exitCode = missed && !args.includes('--quick') ? 1 : 0));
  const quick = args.includes('--quick');
  const suite = SUITES[family];
  if (!suite) throw new Error(`no quality suite for "${family}" (have: ${Object.keys(SUITES).join(', ')})`);
  const backend = await initBackend();
  const progress = lineProgress((l) => process.stderr.write(l + '\n'), 30_000);
  const lines: string[] = [];
  let failed = 0;
  for (const e of suite) {
    const out = join('runs', 'bench', `${family}-${e.dataset}${quick ? '-quick' : ''}`);
    mkdirSync(out, { recursive: true });
    await trainRun({ model: family, dataset: e.dataset, out, epochs: quick ? 1 : e.epochs, seed: e.seed, config: e.config, progress });
    for (const c of e.checks) {
      const r = await evalRun({ run: out, protocol: c.protocol, seeds: [0], progress });
      const v = r.perSeed['0'][c.metric];
      const ok = v >= c.target;
      if (!ok) failed++;
      const line = `${family} ${e.dataset} loo ${c.protocol} ${c.metric} ${v.toFixed(4)} target ${c.target} (${c.source}) ${ok ? 'PASS' : 'BELOW'} backend=${backend.name} seed=${e.seed} epochs=${quick ? 1 : e.epochs}`;
      lines.push(line);
      process.stdout.write(line + '\n');
    }
  }
  process.stdout.write(`${lines.length - failed}/${lines.length} quality targets reached\n`);
  process.exitCode = failed && !quick ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
});
