import { formatDuration, silentProgress } from '@cfm/core';
import type { ProgressReporter } from '@cfm/core';
import { executePlan, retrainPlan } from '@cfm/contracts';
import type {
  CfmActivities, CompareOutput, EvaluateOutput, NodeStatus, RetrainResult, RunSpec, TrainOutput,
} from '@cfm/contracts';
import { createActivities } from './activities';
import type { PipelineSteps } from './step-context';

export interface RunOptions {
  steps: PipelineSteps;
  progress?: ProgressReporter;
  /** run the nodes one at a time (the default on a CPU machine: TF.js is single-threaded anyway) */
  sequential?: boolean;
}

/** The in-process runner: the same plan as retrainWorkflow, with the activities called directly. */
export async function runPipeline(spec: RunSpec, opts: RunOptions): Promise<RetrainResult & { seconds: number }> {
  const progress = opts.progress ?? silentProgress;
  const activities = createActivities({ steps: opts.steps, progress });
  const nodes: Record<string, NodeStatus> = {};
  const started = new Map<string, number>();
  const t0 = Date.now();
  let queue = Promise.resolve();
  const call = (node: { id: string; activity: keyof CfmActivities }, input: unknown) => {
    const run = async () => {
      started.set(node.id, Date.now());
      progress.log(`▶ ${node.id}`);
      const out = (await (activities[node.activity] as (i: unknown) => Promise<unknown>)(input)) as { cached?: boolean };
      const secs = (Date.now() - (started.get(node.id) ?? Date.now())) / 1000;
      progress.log(`✔ ${node.id} ${out?.cached ? '(cached: same inputs as an earlier run)' : `in ${formatDuration(secs)}`}`);
      return out;
    };
    if (opts.sequential === false) return run();
    const p = queue.then(run);
    queue = p.then(() => undefined, () => undefined);
    return p;
  };
  const results = await executePlan(retrainPlan(spec), call, nodes, { onSkip: (n) => progress.log(`– ${n.id} skipped`) });
  const pick = <T>(prefix: string) =>
    Object.fromEntries(spec.families.filter((f) => results[`${prefix}:${f.name}`]).map((f) => [f.name, results[`${prefix}:${f.name}`] as T]));
  return {
    runName: spec.name,
    nodes,
    training: pick<TrainOutput>('train'),
    evaluations: pick<EvaluateOutput>('evaluate'),
    gates: pick<CompareOutput>('compare'),
    promoted: spec.families.filter((f) => nodes[`promote:${f.name}`] === 'done').map((f) => f.name),
    seconds: (Date.now() - t0) / 1000,
  };
}

/** A few lines for the terminal: per family, training, metrics with their protocol, gate and promotion. */
export function formatSummary(r: RetrainResult & { seconds?: number }): string {
  const lines = [`run ${r.runName}${r.seconds !== undefined ? ` finished in ${formatDuration(r.seconds)}` : ''}`];
  for (const [family, t] of Object.entries(r.training)) {
    const e = r.evaluations[family];
    const g = r.gates[family];
    lines.push(`  ${family}: ${t.steps} steps${t.resumedFromStep ? ` (resumed at ${t.resumedFromStep})` : ''}, loss ${t.finalLoss.toFixed(4)}, artifact ${t.artifactDir}`);
    if (e) lines.push(`    ${Object.entries(e.metrics).map(([k, v]) => `${k}=${v.toFixed(4)}`).join('  ')}   [${e.protocol}]`);
    if (g) lines.push(`    gate ${g.metric}: challenger ${g.challenger.toFixed(4)} vs champion ${g.champion === null ? 'none' : g.champion.toFixed(4)} → ${g.passed ? 'pass' : 'fail'} (${g.reason})`);
    lines.push(`    promoted: ${r.promoted.includes(family) ? 'yes' : 'no'}`);
  }
  return lines.join('\n');
}
