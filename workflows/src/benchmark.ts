import type { BenchmarkWorkflowInput, BenchmarkWorkflowResult } from '@cfm/contracts';
import { cpuActivities } from './activities';
import type { ActivityTimeouts } from './activities';

/** Offline benchmarks of one trained model: the ranking evaluation (when `evaluate` is given) and
 * the downstream tasks, run side by side on cpu workers. */
export async function benchmarkWorkflow(input: BenchmarkWorkflowInput & { timeouts?: ActivityTimeouts }): Promise<BenchmarkWorkflowResult> {
  const cpu = cpuActivities(input.timeouts);
  const { workDir, preparedDir, artifactDir, family, seed } = input;
  const [evaluation, bench] = await Promise.all([
    input.evaluate ? cpu.evaluateModel({ workDir, preparedDir, artifactDir, family, evaluate: input.evaluate, seed }) : undefined,
    input.tasks.length ? cpu.runBenchmarks({ workDir, preparedDir, artifactDir, family, tasks: input.tasks, seed }) : undefined,
  ]);
  return { family, metrics: evaluation?.metrics, results: bench?.results ?? {} };
}
