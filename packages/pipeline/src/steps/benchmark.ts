/** The benchmark step: the run's downstream tasks (@cfm/downstream runBenchmarks) on a model folder's artifact,
 * on cpu workers; results go to the folder's benchmarks.json (and, through the gate, to the registry). */
import type { BenchmarkInput, BenchmarkResult } from '@cfm/contracts';
import { loadPrepared } from '@cfm/data';
import { runBenchmarks } from '@cfm/downstream';
import type { StepContext } from '../step-context';
import { readRunInfo, writeRunFile } from './run-files';
import type { FamilyLookup } from './train';

export async function benchmarkStep(
  families: FamilyLookup,
  input: BenchmarkInput,
  ctx: StepContext,
): Promise<{ results: BenchmarkResult[]; seconds: number }> {
  const t0 = Date.now();
  const family = families(input.name);
  const [data, model] = await Promise.all([loadPrepared(input.preparedDir), family.load(input.artifactDir)]);
  try {
    ctx.progress.log(`benchmarks of ${input.family}: ${input.tasks.map((t) => t.name).join(', ')}`);
    // the same config untrained: the finetune task's 'no pre-training' row
    const { config } = readRunInfo(input.runDir);
    const fresh = async () =>
      family.create(family.config.parse(config), data, (await family.inputs?.(input.preparedDir, config, data)) ?? {});
    const results = await runBenchmarks({
      data,
      model,
      reload: () => family.load(input.artifactDir),
      fresh,
      tasks: input.tasks,
      progress: ctx.progress,
      heartbeat: ctx.heartbeat,
      signal: ctx.signal,
    });
    const seconds = (Date.now() - t0) / 1000;
    writeRunFile(input.runDir, 'benchmarks', { artifactHash: input.artifactHash, results, seconds });
    return { results, seconds };
  } finally {
    model.dispose();
  }
}
