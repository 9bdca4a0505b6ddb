import type { BenchmarkWorkflowInput, BenchmarkWorkflowResult } from '@cfm/contracts';
import { cpuActivities } from './activities';
import type { ActivityTimeouts } from './activities';

/** Offline benchmarks of one trained model folder: the ranking evaluation (when `evaluate` is given) and the
 * downstream tasks, side by side on cpu workers; results land in the folder's eval.json / benchmarks.json. */
export async function benchmarkWorkflow(input: BenchmarkWorkflowInput & { timeouts?: ActivityTimeouts }): Promise<BenchmarkWorkflowResult> {
  const cpu = cpuActivities(input.timeouts);
  const ref = await cpu.describeModel({ workDir: input.workDir, runDir: input.runDir });
  const [evaluation, benchmarks] = await Promise.all([
    input.evaluate?.length ? cpu.evaluateModel({ ...ref, evaluate: input.evaluate }) : undefined,
    input.tasks.length ? cpu.runBenchmarks({ ...ref, tasks: input.tasks }) : undefined,
  ]);
  return { family: ref.family, evaluation, benchmarks };
}
