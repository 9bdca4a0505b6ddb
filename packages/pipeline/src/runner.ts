import { formatDuration, silentProgress } from '@cfm/core';
import type { ProgressReporter } from '@cfm/core';
import { collectResults, executePlan, modelKey, retrainPlan, runModels } from '@cfm/contracts';
import type { CfmActivities, NodeStatus, RetrainResult, RunSpec } from '@cfm/contracts';
import { createActivities } from './activities';
import type { PipelineSteps } from './step-context';

export interface RunOptions {
  steps: PipelineSteps;
  progress?: ProgressReporter;
  /** run the nodes one at a time (the default on a CPU machine: TF.js is single-threaded anyway) */
  sequential?: boolean;
  /** cfm train: the model folder of a run that trains one model */
  runDir?: string;
  /** cancels the run: a training in progress stops at its next step, saves a checkpoint and fails */
  signal?: AbortSignal;
}

/** The in-process runner: the same plan as retrainWorkflow, with the activities called directly. */
export async function runPipeline(spec: RunSpec, opts: RunOptions): Promise<RetrainResult & { seconds: number }> {
  const progress = opts.progress ?? silentProgress;
  const activities = createActivities({ steps: opts.steps, progress, context: () => ({ heartbeat() {}, signal: opts.signal }) });
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
    queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  };
  const plan = retrainPlan(spec, { runDir: opts.runDir, startedAt: new Date().toISOString() });
  const results = await executePlan(plan, call, nodes, { onSkip: (n) => progress.log(`– ${n.id} skipped`) });
  return { ...collectResults(spec, nodes, results), seconds: (Date.now() - t0) / 1000 };
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');

/** A few lines for the terminal: per model, training, every protocol's metrics, benchmarks, gate and
 * promotion; per family the mean ± std over seeds when several; the report's path last. */
export function formatSummary(spec: RunSpec, r: RetrainResult & { seconds?: number }): string {
  const lines = [`run ${r.runName}${r.seconds !== undefined ? ` finished in ${formatDuration(r.seconds)}` : ''}`];
  for (const m of runModels(spec)) {
    const t = r.training[m.key];
    if (!t) continue;
    const e = r.evaluations[m.key];
    const g = r.gates[m.key];
    const b = r.benchmarks[m.key];
    lines.push(
      `  ${m.key}: ${t.steps} steps${t.resumedFromStep ? ` (resumed at ${t.resumedFromStep})` : ''}, loss ${f4(t.finalLoss)}, model ${t.runDir}`,
    );
    if (e)
      for (const p of e.results)
        lines.push(
          `    ${p.label}: ${['ndcg@10', 'hr@10', 'mrr']
            .filter((k) => k in p.metrics)
            .map((k) => `${k}=${f4(p.metrics[k])}`)
            .join('  ')}   [${p.protocol}]`,
        );
    if (b)
      for (const res of b.results)
        lines.push(
          `    ${res.task}: ${res.rows
            .map(
              (row) =>
                `${row.model} ${Object.entries(row.metrics)
                  .slice(0, 2)
                  .map(([k, v]) => `${k}=${f4(v)}`)
                  .join(' ')}`,
            )
            .join(' | ')}`,
        );
    if (g)
      lines.push(
        `    gate ${g.metric}: challenger ${f4(g.challenger)} vs champion ${g.champion === null ? 'none' : f4(g.champion)} → ${g.passed ? 'pass' : 'fail'} (${g.reason})`,
      );
    if (m.primary && g) lines.push(`    promoted: ${r.promoted.includes(m.key) ? 'yes' : 'no'}`);
  }
  if (spec.seeds.length > 1) {
    lines.push(`  mean ± std over seeds ${spec.seeds.join(', ')}:`);
    for (const f of spec.families) {
      for (const [i, ev] of spec.evaluate.entries()) {
        const vals = spec.seeds
          .map((s) => r.evaluations[modelKey(spec, f.id, s)]?.results[i]?.metrics['ndcg@10'])
          .filter((v): v is number => v !== undefined);
        if (vals.length < 2) continue;
        const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
        const std = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1));
        lines.push(
          `    ${f.id} ${r.evaluations[modelKey(spec, f.id, spec.seeds[0])]?.results[i]?.label ?? ev.protocol}: ndcg@10 ${f4(mean)} ± ${f4(std)} (n=${vals.length})`,
        );
      }
    }
  }
  if (r.report) lines.push(`report: ${r.report.reportFile}`);
  return lines.join('\n');
}
