import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { cliProgress } from '../progress';
import type { EvaluateSpec, ProtocolResult } from '@cfm/contracts';
import { createActivities, readRunInfo, realSteps } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
import { choiceOption, intListOption, intOption } from '../options';

interface EvalOptions {
  run: string;
  protocol: 'full' | 'sampled-uniform' | 'sampled-pop';
  seeds: number[];
  split: 'test' | 'valid';
  negatives: number;
  ks: number[];
  keepHistory?: boolean;
}

/** the run a model folder belongs to: <workDir>/models/<folder>, or the folder itself (cfm train --out) */
export function workDirOf(runDir: string): string {
  return basename(dirname(runDir)) === 'models' ? dirname(dirname(runDir)) : runDir;
}

const METRICS = ['hr@1', 'hr@5', 'hr@10', 'ndcg@5', 'ndcg@10', 'hr@20', 'ndcg@20', 'mrr'];
const f4 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(4));

/** A Markdown table of one protocol's result: mean ± std over the negative-sampling seeds, the split and protocol above it. */
export function formatEval(title: string, split: string, r: ProtocolResult): string {
  const keys = METRICS.filter((k) => k in r.metrics);
  return [
    `### ${title}`,
    '',
    `Split: ${split}. Protocol: ${r.protocol}; seeds ${r.seeds.join(',')} (n=${r.seeds.length}).`,
    '',
    `| protocol | ${keys.join(' | ')} |`,
    `|---|${keys.map(() => '---').join('|')}|`,
    `| ${r.label} | ${keys.map((k) => f4(r.metrics[k]) + (r.std[k] !== undefined ? ` ± ${f4(r.std[k])}` : '')).join(' | ')} |`,
  ].join('\n');
}

/** cfm eval --run <model folder> --protocol sampled-uniform --negatives 99 --seeds 0,1,2: the pipeline's evaluate step
 * on a trained model folder; the result joins the folder's eval.json (and its report). */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      "evaluate a trained model folder under one protocol through the pipeline's evaluate step; prints a table that states the split and protocol",
    )
    .requiredOption('--run <dir>', 'model folder (cfm train --out, or <workDir>/models/<model>)')
    .option(
      '--protocol <p>',
      'full | sampled-uniform | sampled-pop',
      choiceOption('--protocol', ['full', 'sampled-uniform', 'sampled-pop'] as const),
      'full',
    )
    .option('--seeds <list>', 'negative-sampling seeds, comma-separated (sampled protocols)', intListOption('--seeds', 0), [0])
    .option('--split <s>', 'valid | test', choiceOption('--split', ['valid', 'test'] as const), 'test')
    .option('--negatives <n>', 'negatives per target (sampled protocols)', intOption('--negatives', 1), 100)
    .option('--ks <list>', 'cut-offs of HR / NDCG', intListOption('--ks', 1), [10])
    .option('--keep-history', 'full ranking: do not drop history items from the candidates')
    .action(async (o: EvalOptions) => {
      const runDir = resolve(o.run);
      const info = readRunInfo(runDir);
      await initBackend();
      const evaluate: EvaluateSpec = {
        protocol: o.protocol === 'full' ? 'full' : 'sampled',
        sampling: o.protocol === 'sampled-pop' ? 'popularity' : 'uniform',
        negatives: o.negatives,
        seeds: o.protocol === 'full' ? [0] : o.seeds,
        split: o.split,
        ks: o.ks,
        excludeHistory: !o.keepHistory,
      };
      const progress = cliProgress();
      const acts = createActivities({ steps: realSteps(), progress });
      const out = await acts.evaluateModel({
        workDir: workDirOf(runDir),
        preparedDir: info.preparedDir,
        runDir,
        artifactDir: join(runDir, 'model'),
        artifactHash: info.artifactHash,
        family: info.family,
        name: info.name,
        seed: info.seed,
        evaluate: [evaluate],
      });
      process.stdout.write(formatEval(`${info.family} on ${info.dataset} (training seed ${info.seed})`, out.split, out.results[0]) + '\n');
    });
}
