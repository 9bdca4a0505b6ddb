import { defineQuery, setHandler } from '@temporalio/workflow';
import { executePlan, retrainPlan } from '@cfm/contracts';
import type {
  CompareOutput, EvaluateOutput, NodeStatus, RetrainInput, RetrainResult, RunProgress, TrainOutput,
} from '@cfm/contracts';
import { cpuActivities, gpuActivities } from './activities';
import type { ActivityTimeouts } from './activities';

export const progressQuery = defineQuery<RunProgress>('progress');

/** The retraining DAG (contracts' retrainPlan): prepare on cpu, families train in parallel on gpu,
 * then evaluate, benchmark, gate against the champion, export and promote on cpu. */
export async function retrainWorkflow(input: RetrainInput & { timeouts?: ActivityTimeouts }): Promise<RetrainResult> {
  const { spec } = input;
  const gpu = gpuActivities(input.timeouts);
  const cpu = cpuActivities(input.timeouts);
  const nodes: Record<string, NodeStatus> = {};
  let stage = 'starting';
  setHandler(progressQuery, () => ({ stage, nodes: { ...nodes } }));
  const results = await executePlan(
    retrainPlan(spec),
    (node, args) => {
      const fn = node.activity === 'trainModel' ? gpu.trainModel : cpu[node.activity];
      return (fn as (a: unknown) => Promise<unknown>)(args);
    },
    nodes,
    { onStart: (n) => { stage = n.id; } },
  );
  stage = 'done';
  const pick = <T>(prefix: string) =>
    Object.fromEntries(spec.families.filter((f) => results[`${prefix}:${f.name}`]).map((f) => [f.name, results[`${prefix}:${f.name}`] as T]));
  return {
    runName: spec.name,
    nodes: { ...nodes },
    training: pick<TrainOutput>('train'),
    evaluations: pick<EvaluateOutput>('evaluate'),
    gates: pick<CompareOutput>('compare'),
    promoted: spec.families.filter((f) => nodes[`promote:${f.name}`] === 'done').map((f) => f.name),
  };
}
