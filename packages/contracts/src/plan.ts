import type {
  ActivityName,
  BenchmarkOutput,
  CfmActivities,
  CompareOutput,
  EvaluateOutput,
  ModelRef,
  PrepareOutput,
  SplitDataOutput,
  TrainOutput,
} from './activities';
import type { FamilySpec, RunSpec } from './run-spec';

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
  /** runs even when a node it waits on was skipped (the closing report) */
  always?: boolean;
}

function node<A extends ActivityName>(n: PlanNode<A>): PlanNode {
  return n as unknown as PlanNode;
}

/** The key of one trained model in a run: the family id, plus '@s<seed>' when the run trains several seeds. */
export function modelKey(spec: Pick<RunSpec, 'seeds'>, id: string, seed: number): string {
  return spec.seeds.length > 1 ? `${id}@s${seed}` : id;
}

/** Every (family, seed) of a run, in plan order. */
export function runModels(
  spec: Pick<RunSpec, 'seeds' | 'families'>,
): Array<{ key: string; family: FamilySpec; seed: number; primary: boolean }> {
  return spec.families.flatMap((family) =>
    spec.seeds.map((seed, i) => ({ key: modelKey(spec, family.id, seed), family, seed, primary: i === 0 })),
  );
}

/** The retrain DAG. Per family and training seed: train → evaluate, benchmarks; for the first seed also
 * gate (after evaluate and benchmarks) and export → promote (when the gate passes); a closing report node
 * writes the run's summary and HTML report once every other node has finished or been skipped. */
export function retrainPlan(spec: RunSpec, o: { runDir?: string; startedAt?: string } = {}): PlanNode[] {
  const { workDir } = spec;
  const prep = (r: PlanResults) => r.prepare as PrepareOutput;
  const nodes: PlanNode[] =
    spec.prepare.shards > 1 ? shardedPrepare(spec) : [node({ id: 'prepare', activity: 'prepareData', after: [], input: () => ({ spec }) })];
  const models = runModels(spec);
  for (const { key, family, seed, primary } of models) {
    const trained = (r: PlanResults) => r[`train:${key}`] as TrainOutput;
    const ref = (r: PlanResults): ModelRef => {
      const t = trained(r);
      return {
        workDir,
        preparedDir: prep(r).preparedDir,
        runDir: t.runDir,
        artifactDir: t.artifactDir,
        artifactHash: t.artifactHash,
        family: family.id,
        name: family.name,
        seed,
      };
    };
    nodes.push(
      node({
        id: `train:${key}`,
        activity: 'trainModel',
        after: ['prepare'],
        input: (r) => ({
          workDir,
          preparedDir: prep(r).preparedDir,
          dataHash: prep(r).dataHash,
          family: { ...family, config: { ...family.config, seed } },
          seed,
          ...(o.runDir && models.length === 1 ? { runDir: o.runDir } : {}),
        }),
      }),
      node({
        id: `evaluate:${key}`,
        activity: 'evaluateModel',
        after: [`train:${key}`],
        input: (r) => ({ ...ref(r), evaluate: spec.evaluate }),
      }),
    );
    const benched = spec.benchmarks.length > 0;
    if (benched) {
      nodes.push(
        node({
          id: `benchmark:${key}`,
          activity: 'runBenchmarks',
          after: [`train:${key}`],
          input: (r) => ({ ...ref(r), tasks: spec.benchmarks }),
        }),
      );
    }
    if (!primary) continue;
    nodes.push(
      node({
        id: `compare:${key}`,
        activity: 'compareWithChampion',
        after: [`evaluate:${key}`, ...(benched ? [`benchmark:${key}`] : [])],
        input: (r) => ({
          ...ref(r),
          evaluation: (r[`evaluate:${key}`] as EvaluateOutput).results[spec.gate.protocol],
          benchmarks: benched ? (r[`benchmark:${key}`] as BenchmarkOutput).results : undefined,
          gate: spec.gate,
        }),
      }),
      node({
        id: `export:${key}`,
        activity: 'exportOutputs',
        after: [`train:${key}`],
        input: (r) => ({ ...ref(r), topK: spec.export.topK }),
      }),
      node({
        id: `promote:${key}`,
        activity: 'promoteModel',
        after: [`compare:${key}`, `export:${key}`],
        when: (r) => spec.promote && (r[`compare:${key}`] as CompareOutput).passed,
        input: (r) => ({
          ...ref(r),
          runName: spec.name,
          metrics: (r[`evaluate:${key}`] as EvaluateOutput).results[spec.gate.protocol].metrics,
          expectedChampion: (r[`compare:${key}`] as CompareOutput).championArtifact ?? null,
        }),
      }),
    );
  }
  const others = nodes.map((n) => n.id);
  nodes.push(
    node({
      id: 'report',
      activity: 'reportRun',
      after: others,
      always: true,
      input: (r) => ({
        workDir,
        spec,
        startedAt: o.startedAt ?? new Date().toISOString(),
        models: models.flatMap(({ key, family, seed }) =>
          r[`train:${key}`] ? [{ key, family: family.id, name: family.name, seed, runDir: (r[`train:${key}`] as TrainOutput).runDir }] : [],
        ),
      }),
    }),
  );
  return nodes;
}

/** The prep fanned out over customer shards: split → stats@k → global → shard@k → prepare (the merge, which also
 * answers when an earlier run prepared the same inputs and every other sharded node was skipped). */
function shardedPrepare(spec: RunSpec): PlanNode[] {
  const { workDir } = spec;
  const n = spec.prepare.shards;
  const ks = Array.from({ length: n }, (_, k) => k);
  const split = (r: PlanResults) => r['prepare:split'] as SplitDataOutput;
  const fresh = (r: PlanResults) => !split(r).cached;
  return [
    node({ id: 'prepare:split', activity: 'splitData', after: [], input: () => ({ spec }) }),
    ...ks.map((k) =>
      node({
        id: `prepare:stats@${k}`,
        activity: 'shardStats',
        after: ['prepare:split'],
        when: fresh,
        input: (r) => ({ workDir, split: split(r).split, shard: k }),
      }),
    ),
    node({
      id: 'prepare:global',
      activity: 'mergeShardStats',
      after: ks.map((k) => `prepare:stats@${k}`),
      input: (r) => ({ workDir, split: split(r).split, stats: ks.map((k) => r[`prepare:stats@${k}`]) }),
    }),
    ...ks.map((k) =>
      node({
        id: `prepare:shard@${k}`,
        activity: 'prepareShard',
        after: ['prepare:global'],
        input: (r) => ({ workDir, global: r['prepare:global'], shard: k }),
      }),
    ),
    node({
      id: 'prepare',
      activity: 'mergeShards',
      after: ks.map((k) => `prepare:shard@${k}`),
      always: true,
      input: (r) => ({
        spec,
        split: split(r),
        global: r['prepare:global'],
        shards: ks.map((k) => r[`prepare:shard@${k}`]).filter((x) => x !== undefined),
      }),
    }),
  ];
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
    for (let changed = true; changed;) {
      changed = false;
      for (const n of plan) {
        if (status[n.id] !== 'pending' || !n.after.every(finished)) continue;
        changed = true;
        if ((!n.always && n.after.some((a) => status[a] === 'skipped')) || (n.when && !n.when(results))) {
          status[n.id] = 'skipped';
          hooks.onSkip?.(n);
          continue;
        }
        status[n.id] = 'running';
        hooks.onStart?.(n);
        const p = call(n, n.input(results)).then(
          (out) => {
            results[n.id] = out;
            status[n.id] = 'done';
            running.delete(n.id);
            hooks.onFinish?.(n, out);
          },
          (err) => {
            status[n.id] = 'failed';
            running.delete(n.id);
            throw err;
          },
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
