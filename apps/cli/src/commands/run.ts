import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { cliProgress } from '../progress';
import { formatSummary, loadRunConfig, realSteps, runPipeline } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
import { formatResolved } from '../run-output';

interface RunOptions {
  config: string;
  fresh?: boolean;
  parallel?: boolean;
}

/** `cfm run --config run.yaml`: the whole DAG in-process (embedded DuckDB), progress per step, a result summary
 * and the report's path at the end. Steps whose inputs did not change since the last run are skipped. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the pipeline DAG in-process: prepare → train → evaluate, benchmarks → gate → export → promote → report')
    .requiredOption('--config <file>', 'run config YAML (see examples/run.yaml, examples/quality/*.yaml)')
    .option('--fresh', 'delete the run directory first (no cached steps)')
    .option('--parallel', 'start independent steps at once instead of one after the other')
    .action(async (o: RunOptions) => {
      const spec = loadRunConfig(o.config);
      if (o.fresh) rmSync(spec.workDir, { recursive: true, force: true });
      const progress = cliProgress();
      const backend = await initBackend();
      progress.log(`${formatResolved(spec)}\n  backend ${backend.name}`);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const result = await runPipeline(spec, { steps: realSteps(), progress, sequential: !o.parallel, signal: ac.signal });
      process.stdout.write(formatSummary(spec, result) + '\n');
    });
}
