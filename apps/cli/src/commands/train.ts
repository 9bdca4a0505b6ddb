import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CfmError } from '@cfm/core';
import { cliProgress } from '../progress';
import { resolveDataDir, resolveInside } from '@cfm/datasets';
import { familyNames, parseOverrides } from '@cfm/models';
import { formatSummary, resolveRunSpec, realSteps, runPipeline } from '@cfm/pipeline';
import { initBackend } from '@cfm/tensor';
import { choiceOption, collect, intListOption, intOption } from '../options';
import { formatResolved } from '../run-output';

interface TrainOptions {
  model: string;
  dataset: string;
  out: string;
  epochs?: number;
  seed: number;
  checkpointEvery: number;
  config: string[];
  protocol: 'full' | 'sampled-uniform' | 'sampled-pop';
  negatives: number;
  evalSeeds: number[];
  topK: number;
  promote?: boolean;
  benchmark: string[];
}

/** --dataset: an adapter name, path:<dir> (contract files under the data directory) or a prepared folder */
export function datasetArg(arg: string): Record<string, unknown> {
  if (existsSync(join(arg, 'manifest.json'))) return { source: 'prepared', path: resolve(arg) };
  if (arg.startsWith('path:')) return { source: 'files', path: resolveInside(resolveDataDir(), arg.slice(5)) };
  return { source: 'dataset', name: arg };
}

/** --benchmark "{task: label, field: gender, positive: [F]}": one downstream task in YAML flow syntax (run.yaml's keys) */
function benchmarkArg(raw: string, i: number): unknown {
  let v: unknown;
  try {
    v = parseYaml(raw);
  } catch (e) {
    throw new CfmError('CFM_E_CONFIG', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { field: `--benchmark ${i + 1}` });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new CfmError('CFM_E_CONFIG', `expected a mapping like "{task: label, field: gender, positive: [F]}", got "${raw}"`, {
      field: `--benchmark ${i + 1}`,
    });
  return v;
}

/** The run config `cfm train` stands for: one family, one seed, the model folder = --out. */
export function trainRunConfig(o: TrainOptions): Record<string, unknown> {
  const overrides = parseOverrides(o.config);
  return {
    name: basename(resolve(o.out)),
    workDir: resolve(o.out),
    seed: o.seed,
    dataset: datasetArg(o.dataset),
    families: [
      {
        name: o.model,
        config: { ...overrides, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) },
        checkpointEvery: o.checkpointEvery,
      },
    ],
    evaluate:
      o.protocol === 'full'
        ? { protocol: 'full' }
        : {
            protocol: 'sampled',
            sampling: o.protocol === 'sampled-pop' ? 'popularity' : 'uniform',
            negatives: o.negatives,
            seeds: o.evalSeeds,
          },
    benchmarks: o.benchmark.map((b, i) => benchmarkArg(b, i)),
    export: { topK: o.topK },
    promote: o.promote ?? false,
  };
}

/** cfm train: `cfm run` of one family built from flags (prepare → train → evaluate → gate → export → report);
 * the model folder is --out. Re-running the same command resumes from its checkpoints. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train one model family on a dataset through the pipeline (prepare, train, evaluate, gate, export, report); re-running resumes',
    )
    .requiredOption('--model <name>', `model family (${familyNames().join(', ')})`)
    .requiredOption(
      '--dataset <name|path:dir|prepared dir>',
      'dataset adapter name (cfm datasets), path:<dir> of contract files under the data directory, or a prepared folder',
    )
    .requiredOption('--out <dir>', 'the model folder (run.json, model/, checkpoints/, eval.json, exports/, report.html)')
    .option('--epochs <n>', 'training epochs (the config key epochs)', intOption('--epochs', 1, 100_000))
    .option('--seed <n>', 'training and data seed', intOption('--seed', 0), 0)
    .option('--checkpoint-every <steps>', 'checkpoint every N optimizer steps', intOption('--checkpoint-every', 1), 200)
    .option('--config <key=value>', "a setting of the family's config, e.g. lr=0.001 (repeatable; unknown keys are errors)", collect, [])
    .option(
      '--protocol <p>',
      'evaluation protocol: full | sampled-uniform | sampled-pop (more with cfm eval)',
      choiceOption('--protocol', ['full', 'sampled-uniform', 'sampled-pop'] as const),
      'full',
    )
    .option('--negatives <n>', 'negatives per target (sampled protocols)', intOption('--negatives', 1), 100)
    .option('--eval-seeds <list>', 'negative-sampling seeds (sampled protocols)', intListOption('--eval-seeds', 0), [0])
    .option('--top-k <n>', 'top-k scores exported per customer and task', intOption('--top-k', 1, 1000), 10)
    .option(
      '--benchmark <task>',
      'a downstream task, e.g. "{task: label, field: gender, positive: [F]}" (repeatable; docs/downstream.md)',
      collect,
      [],
    )
    .option('--promote', "promote the model in the folder's registry when it passes the gate")
    .action(async (o: TrainOptions) => {
      const spec = resolveRunSpec(trainRunConfig(o));
      const progress = cliProgress();
      const backend = await initBackend();
      progress.log(`${formatResolved(spec)}\n  backend ${backend.name}`);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const result = await runPipeline(spec, { steps: realSteps(), progress, runDir: spec.workDir, signal: ac.signal });
      process.stdout.write(formatSummary(spec, result) + '\n');
    });
}
