import { basename, join } from 'node:path';
import type { CompareInput, CompareOutput, PromoteInput, PromoteOutput } from '@cfm/contracts';
import { Registry } from '@cfm/export';
import type { StepContext } from '../step-context';

export const USE_CASE = 'next-item';
/** The champion registry of a run's workDir (one DuckDB file, shared by every run of that name). */
export const registryFile = (workDir: string) => join(workDir, 'registry.duckdb');

// DuckDB allows one writer per file: registry steps of parallel families take turns.
let turn: Promise<unknown> = Promise.resolve();
async function withRegistry<T>(workDir: string, fn: (r: Registry) => Promise<T>): Promise<T> {
  const run = turn.then(async () => {
    const r = await Registry.open(registryFile(workDir));
    try {
      return await fn(r);
    } finally {
      r.close();
    }
  });
  turn = run.catch(() => undefined);
  return run;
}

/** Registers the challenger (run, metrics, verified artifact) and applies the promotion gate. */
export function compareStep(input: CompareInput, _ctx: StepContext): Promise<CompareOutput> {
  return withRegistry(input.workDir, async (reg) => {
    const runId = basename(input.artifactDir);
    await reg.registerRun({ runId, family: input.family, useCase: USE_CASE, runDir: input.workDir });
    await reg.recordMetrics(runId, Object.entries(input.metrics).map(([name, value]) => ({ name, value, protocol: input.protocol, split: 'test' })));
    const art = await reg.registerArtifact(runId, input.artifactDir);
    const champion = await reg.champion(input.family, USE_CASE);
    if (champion?.artifactId === art.artifactId) {
      const value = input.metrics[input.gate.metric];
      return { family: input.family, metric: input.gate.metric, challenger: value, champion: value, passed: false, reason: 'already the champion' };
    }
    const c = await reg.compareWithChampion(runId, input.gate.metric, { minDelta: input.gate.minDelta });
    if (c.better) await reg.setChallenger(art.artifactId, c.reason);
    return { family: input.family, metric: c.metric, challenger: c.challenger.value, champion: c.champion?.value ?? null, passed: c.better, reason: c.reason };
  });
}

export function promoteStep(input: PromoteInput, _ctx: StepContext): Promise<PromoteOutput> {
  return withRegistry(input.workDir, async (reg) => {
    const runId = basename(input.artifactDir);
    const art = await reg.registerArtifact(runId, input.artifactDir);
    await reg.promote(art.artifactId, `run ${input.runName}`);
    return { family: input.family, promoted: true, championDir: art.path };
  });
}
