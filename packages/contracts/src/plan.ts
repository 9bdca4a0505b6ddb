import type { ActivityName, CfmActivities, CompareOutput, EvaluateOutput, PrepareOutput, TrainOutput } from './activities';
import type { RunSpec } from './run-spec';

/** The retraining DAG as data, shared by both runners (the in-process runner in @cfm/pipeline and
 * retrainWorkflow), so that both run the same steps with the same inputs. Workflow-safe: pure code. */
export type PlanResults = Record<string, unknown>;

export interface PlanNode<A extends ActivityName = ActivityName> {
  /** e.g. 'prepare', 'train:bert4rec' */
  id: string;
  activity: A;
  after: string[];
  /** builds the activity input from the outputs of the finished nodes */
  input(results: PlanResults): Parameters<CfmActivities[A]>[0];
  /** the node is skipped when this returns false */
  when?(results: PlanResults): boolean;
}

function node<A extends ActivityName>(n: PlanNode<A>): PlanNode {
  return n as unknown as PlanNode;
}

export function retrainPlan(spec: RunSpec): PlanNode[] {
  const { workDir, seed } = spec;
  const prep = (r: PlanResults) => r.prepare as PrepareOutput;
  const nodes: PlanNode[] = [node({ id: 'prepare', activity: 'prepareData', after: [], input: () => ({ spec }) })];
  for (const family of spec.families) {
    const f = family.name;
    const trained = (r: PlanResults) => r[`train:${f}`] as TrainOutput;
    const evaluated = (r: PlanResults) => r[`evaluate:${f}`] as EvaluateOutput;
    nodes.push(
      node({
        id: `train:${f}`, activity: 'trainModel', after: ['prepare'],
        input: (r) => ({ workDir, preparedDir: prep(r).preparedDir, dataHash: prep(r).dataHash, family, seed }),
      }),
      node({
        id: `evaluate:${f}`, activity: 'evaluateModel', after: [`train:${f}`],
        input: (r) => ({ workDir, preparedDir: prep(r).preparedDir, artifactDir: trained(r).artifactDir, family: f, evaluate: spec.evaluate, seed }),
      }),
    );
    if (spec.benchmarks.length > 0) {
      nodes.push(node({
        id: `benchmark:${f}`, activity: 'runBenchmarks', after: [`train:${f}`],
        input: (r) => ({ workDir, preparedDir: prep(r).preparedDir, artifactDir: trained(r).artifactDir, family: f, tasks: spec.benchmarks, seed }),
      }));
    }
    nodes.push(
      node({
        id: `compare:${f}`, activity: 'compareWithChampion', after: [`evaluate:${f}`],
        input: (r) => ({ workDir, family: f, artifactDir: trained(r).artifactDir, metrics: evaluated(r).metrics, protocol: evaluated(r).protocol, gate: spec.gate }),
      }),
      node({
        id: `export:${f}`, activity: 'exportOutputs', after: [`train:${f}`],
        input: (r) => ({ workDir, preparedDir: prep(r).preparedDir, artifactDir: trained(r).artifactDir, family: f, topK: spec.export.topK }),
      }),
      node({
        id: `promote:${f}`, activity: 'promoteModel', after: [`compare:${f}`, `export:${f}`],
        when: (r) => spec.promote && (r[`compare:${f}`] as CompareOutput).passed,
        input: (r) => ({ workDir, runName: spec.name, family: f, artifactDir: trained(r).artifactDir, metrics: evaluated(r).metrics }),
      }),
    );
  }
  return nodes;
}

export type NodeStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

export interface PlanHooks {
  onStart?(node: PlanNode): void;
  onFinish?(node: PlanNode, output: unknown): void;
  onSkip?(node: PlanNode): void;
}

/** Runs a plan: every node whose predecessors are finished starts at once (families train in
 * parallel); the first failure rejects. `call` runs one node (an activity proxy, or the step itself). */
export async function executePlan(
  plan: PlanNode[],
  call: (node: PlanNode, input: unknown) => Promise<unknown>,
  status: Record<string, NodeStatus> = {},
  hooks: PlanHooks = {},
): Promise<PlanResults> {
  const ids = new Set(plan.map((n) => n.id));
  for (const n of plan) {
    status[n.id] = 'pending';
    for (const a of n.after) if (!ids.has(a)) throw new Error(`plan node "${n.id}" waits on unknown node "${a}"`);
  }
  const results: PlanResults = {};
  const running = new Map<string, Promise<void>>();
  const finished = (id: string) => status[id] === 'done' || status[id] === 'skipped';
  for (;;) {
    for (let changed = true; changed; ) {
      changed = false;
      for (const n of plan) {
        if (status[n.id] !== 'pending' || !n.after.every(finished)) continue;
        changed = true;
        if (n.after.some((a) => status[a] === 'skipped') || (n.when && !n.when(results))) {
          status[n.id] = 'skipped';
          hooks.onSkip?.(n);
          continue;
        }
        status[n.id] = 'running';
        hooks.onStart?.(n);
        const p = call(n, n.input(results)).then(
          (out) => { results[n.id] = out; status[n.id] = 'done'; running.delete(n.id); hooks.onFinish?.(n, out); },
          (err) => { status[n.id] = 'failed'; running.delete(n.id); throw err; },
        );
        running.set(n.id, p);
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  const stuck = plan.filter((n) => status[n.id] === 'pending').map((n) => n.id);
  if (stuck.length) throw new Error(`plan cannot finish: ${stuck.join(', ')} wait on nodes that never ran`);
  return results;
}
