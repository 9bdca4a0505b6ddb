import { defineQuery, setHandler } from '@temporalio/workflow';
import { collectResults, executePlan, retrainPlan } from '@cfm/contracts';
import type { NodeStatus, RetrainInput, RetrainResult, RunProgress } from '@cfm/contracts';
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
    retrainPlan(spec, { startedAt: new Date().toISOString() }),
    (node, args) => {
      const fn = node.activity === 'trainModel' ? gpu.trainModel : cpu[node.activity];
      return (fn as (a: unknown) => Promise<unknown>)(args);
    },
    nodes,
    {
      onStart: (n) => {
        stage = n.id;
      },
    },
  );
  stage = 'done';
  return collectResults(spec, nodes, results);
}
