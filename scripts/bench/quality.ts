/** npm run bench:quality -- <suite> [--fresh]
 * A suite is a run config: examples/quality/<suite>.yaml, run by the pipeline exactly as `cfm run --config` runs it,
 * then its results page docs/results/<suite>.md (+ .json) is written from the run's outputs, as `cfm results` does.
 * Experiments that are not run configs yet keep their own scripts: dmt (quality-dmt.ts), session-heads (the
 * SCID suite of @cfm/benchmarks), mcm-incentives (mcm-incentives.ts), shopperbert-paper (shopperbert.ts). */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lineProgress } from '@cfm/core';
import { sessionHeadsSuite } from '@cfm/benchmarks';
import { formatSummary, loadRunConfig, realSteps, runPipeline, writeResultsPage } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
import { runDmtSuite } from './quality-dmt';
import { runIncentives } from './mcm-incentives';
import { run as runShopperBertPaper } from './shopperbert';

const SUITES = join('examples', 'quality');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const suite = args.find((a) => !a.startsWith('--'));
  const quick = args.includes('--quick');
  const progress = lineProgress((l) => process.stderr.write(l + '\n'), 30_000);
  if (suite === 'dmt') return initBackend().then(() => runDmtSuite(args));
  if (suite === 'session-heads')
    return initBackend()
      .then(() => sessionHeadsSuite(quick))
      .then((missed) => void (process.exitCode = missed && !quick ? 1 : 0));
  if (suite === 'mcm-incentives') return initBackend().then(() => runIncentives(args, progress));
  if (suite === 'shopperbert-paper') return runShopperBertPaper(quick);
  const file = join(SUITES, `${suite}.yaml`);
  if (!suite || !existsSync(file)) {
    const have = readdirSync(SUITES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5));
    throw new Error(
      `no quality suite "${suite ?? ''}" (run configs: ${have.join(', ')}; scripts: dmt, session-heads, mcm-incentives, shopperbert-paper)`,
    );
  }
  const spec = loadRunConfig(file);
  if (args.includes('--fresh')) rmSync(spec.workDir, { recursive: true, force: true });
  await initBackend();
  const result = await runPipeline(spec, { steps: realSteps(), progress });
  process.stdout.write(formatSummary(spec, result) + '\n');
  const page = join('docs', 'results', `${suite}.md`);
  const r = writeResultsPage(spec.workDir, page, { suite, config: file, command: `npm run bench:quality -- ${suite}` });
  for (const t of r.targets)
    process.stdout.write(
      `${t.met ? 'MET  ' : 'BELOW'} ${t.family} ${t.from} ${t.metric} ${t.value === null ? 'missing' : t.value.toFixed(4)} target ${t.min} (${t.source})\n`,
    );
  process.stdout.write(
    `results → ${r.md}${r.targets.length ? `; ${r.targets.filter((t) => t.met).length} of ${r.targets.length} targets met` : ''}\n`,
  );
  process.exitCode = r.targets.some((t) => !t.met) ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
});
