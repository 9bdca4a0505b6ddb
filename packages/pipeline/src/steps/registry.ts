/** The registry steps: the gate (register the challenger with every metric and benchmark result, compare
 * with the champion of its use case) and promotion. One DuckDB file per workDir; steps take turns on it. */
import { join } from 'node:path';
import type { CompareInput, CompareOutput, ModelRef, PromoteInput, PromoteOutput } from '@cfm/contracts';
import { openRegistry } from '@cfm/registry';
import type { ChampionRegistry, MetricRecord } from '@cfm/registry';
import { refName } from '../workspace';
import type { RegistryAt, StepContext } from '../step-context';
import { readRunInfo, writeRunFile } from './run-files';

export const USE_CASE = 'next-item';
/** The champion registry of a run's workDir (one DuckDB file, shared by every run of that name). */
export const registryFile = (workDir: string) => join(workDir, 'registry.duckdb');
/** the use case a family id competes in: ids other than the family's name (e.g. MCM_Single) have their own line */
export const useCaseOf = (ref: Pick<ModelRef, 'family' | 'name'>) => (ref.family === ref.name ? USE_CASE : `${USE_CASE}:${ref.family}`);

// DuckDB allows one writer per file: registry steps of parallel families in one process take turns (PostgreSQL
// serializes with its own locks, across processes too).
let turn: Promise<unknown> = Promise.resolve();
async function withRegistry<T>(target: string, fn: (r: ChampionRegistry) => Promise<T>): Promise<T> {
  const run = turn.then(async () => {
    const r = await openRegistry(target);
    try {
      return await fn(r);
    } finally {
      await r.close();
    }
  });
  turn = run.catch(() => undefined);
  return run;
}

/** The metrics of a challenger as registry rows: the gate's protocol under plain names, the other protocols
 * under '<label>/<metric>', downstream results under 'benchmark/<task>/<model>/<metric>'. */
export function registryMetrics(
  input: CompareInput,
  others: Array<{ label: string; protocol: string; metrics: Record<string, number> }> = [],
): MetricRecord[] {
  const rows: MetricRecord[] = Object.entries(input.evaluation.metrics).map(([name, value]) => ({
    name,
    value,
    protocol: input.evaluation.protocol,
    split: 'test',
  }));
  for (const o of others)
    for (const [k, v] of Object.entries(o.metrics)) rows.push({ name: `${o.label}/${k}`, value: v, protocol: o.protocol, split: 'test' });
  for (const b of input.benchmarks ?? []) {
    for (const r of b.rows)
      for (const [k, v] of Object.entries(r.metrics))
        rows.push({ name: `benchmark/${b.task}/${r.model}/${k}`, value: v, protocol: b.rule, split: 'benchmark' });
  }
  return rows.filter((m) => Number.isFinite(m.value));
}

/** a benchmark requirement '<task>/<model>/<metric>' looked up in the challenger's results */
function benchmarkValue(input: CompareInput, result: string): number | null {
  const [task, model, ...metric] = result.split('/');
  const row = input.benchmarks?.find((b) => b.task === task)?.rows.find((r) => r.model === model);
  const v = row?.metrics[metric.join('/')];
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** Registers the challenger (run, metrics, benchmark results, verified artifact) and applies the promotion gate. */
export async function compareStep(input: CompareInput, _ctx: StepContext, at: RegistryAt): Promise<Omit<CompareOutput, 'family'>> {
  const info = readRunInfo(input.runDir);
  const useCase = useCaseOf(input);
  const out = await withRegistry(at.registry, async (reg) => {
    const runId = refName(at.runRef);
    await reg.registerRun({
      runId,
      family: input.name,
      useCase,
      dataset: info.dataset,
      configHash: info.configHash,
      dataHash: info.dataHash,
      seed: input.seed,
      codeVersion: info.codeVersion,
      runDir: at.runRef,
    });
    await reg.recordMetrics(runId, registryMetrics(input));
    const art = await reg.registerArtifact(runId, input.artifactDir, { location: at.artifactRef });
    const benchmarks = input.gate.benchmarks.map((g) => {
      const value = benchmarkValue(input, g.result);
      return { result: g.result, value, min: g.min, passed: value !== null && value >= g.min };
    });
    const failed = benchmarks.filter((b) => !b.passed);
    const champion = await reg.champion(input.name, useCase);
    const value = input.evaluation.metrics[input.gate.metric];
    if (champion?.artifactId === art.artifactId) {
      return {
        metric: input.gate.metric,
        challenger: value,
        champion: value,
        passed: false,
        reason: 'already the champion',
        benchmarks,
        championArtifact: champion.artifactId,
      };
    }
    const c = await reg.compareWithChampion(runId, input.gate.metric, { minDelta: input.gate.minDelta });
    const passed = c.better && failed.length === 0;
    const reason = failed.length
      ? `${c.reason}; benchmark requirement not met: ${failed.map((b) => `${b.result} ${b.value === null ? 'missing' : b.value.toFixed(4)} < ${b.min}`).join(', ')}`
      : c.reason;
    if (passed) await reg.setChallenger(art.artifactId, reason);
    return {
      metric: c.metric,
      challenger: c.challenger.value,
      champion: c.champion?.value ?? null,
      passed,
      reason,
      benchmarks,
      championArtifact: champion?.artifactId ?? null,
    };
  });
  writeRunFile(input.runDir, 'gate', { ...out, family: input.family, useCase, protocol: input.evaluation.protocol });
  return out;
}

export async function promoteStep(input: PromoteInput, _ctx: StepContext, at: RegistryAt): Promise<Omit<PromoteOutput, 'family'>> {
  // compare-and-promote: only if the champion is still the one the gate compared against
  const out = await withRegistry(at.registry, async (reg) => {
    const art = await reg.registerArtifact(refName(at.runRef), input.artifactDir, { location: at.artifactRef });
    const r = await reg.promoteIf(art.artifactId, input.expectedChampion, `run ${input.runName}`);
    return { promoted: r.promoted, championDir: art.path, reason: r.reason };
  });
  if (!out.promoted) return out;
  writeRunFile(input.runDir, 'promote', {
    ...out,
    family: input.family,
    useCase: useCaseOf(input),
    runName: input.runName,
    at: new Date().toISOString(),
  });
  return out;
}
