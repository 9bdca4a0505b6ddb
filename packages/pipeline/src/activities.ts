import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, silentProgress } from '@cfm/core';
import type { ProgressReporter } from '@cfm/core';
import type { CfmActivities, ModelRef, PartitionOutput, TrainProgress } from '@cfm/contracts';
import { cachedStep } from './cache';
import { readRunInfo } from './steps/run-files';
import type { PipelineSteps, StepContext } from './step-context';

export interface ActivityDeps {
  steps: PipelineSteps;
  progress?: ProgressReporter;
  /** the current activity's heartbeat + cancel signal (the worker reads them from Temporal's Context) */
  context?: () => { heartbeat(details?: unknown): void; signal?: AbortSignal };
}

/** One line per step that did work (not served from the cache): the audit trail that shows
 * nothing ran twice. <workDir>/ledger.jsonl */
export function appendLedger(workDir: string, entry: Record<string, unknown>): void {
  mkdirSync(workDir, { recursive: true });
  appendFileSync(join(workDir, 'ledger.jsonl'), JSON.stringify({ ...entry, pid: process.pid, at: new Date().toISOString() }) + '\n');
}

export function readLedger(workDir: string): Array<Record<string, unknown>> {
  const f = join(workDir, 'ledger.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Directory of one backfill family; partition markers are <asOf>.done.json inside it. */
export const backfillDir = (workDir: string, family: string) => join(workDir, 'backfill', family);

/** The activities: thin adapters over the pipeline steps (small JSON in and out). Every step is
 * cached on its inputs, so a retried or re-run activity returns the earlier output instead of
 * writing it again; training resumes from its checkpoint directory. */
export function createActivities(deps: ActivityDeps): CfmActivities {
  const progress = deps.progress ?? silentProgress;
  const ctx = (): StepContext => {
    const c = deps.context?.();
    return { progress, heartbeat: (d) => c?.heartbeat(d), signal: c?.signal };
  };
  const done = <O extends { cached: boolean }>(workDir: string, step: string, out: O, extra: Record<string, unknown> = {}): O => {
    if (!out.cached) appendLedger(workDir, { step, ...extra });
    return out;
  };
  /** the key of a model's inputs with the artifact's content hash: another model at the same path is another key */
  const modelKey = ({ workDir: _w, ...ref }: ModelRef, extra: Record<string, unknown>) => ({ ...ref, ...extra });
  const { steps } = deps;
  return {
    async prepareData({ spec }) {
      if (spec.dataset.source === 'prepared') {
        const r = await steps.prepare(spec, spec.dataset.path, ctx());
        return { preparedDir: spec.dataset.path, ...r, cached: true };
      }
      const input = { dataset: spec.dataset, prepare: spec.prepare, seed: spec.seed, dataDir: spec.dataDir };
      const preparedDir = join(spec.workDir, 'prepared', configHash(input));
      const out = await cachedStep(spec.workDir, 'prepare', input, async () => ({ preparedDir, ...(await steps.prepare(spec, preparedDir, ctx())) }), (o) => [o.preparedDir]);
      return done(spec.workDir, 'prepare', out);
    },
    async trainModel(input) {
      const f = input.family;
      const key = configHash({ dataHash: input.dataHash, preparedDir: input.preparedDir, family: f.name, config: f.config });
      const runDir = input.runDir ?? join(input.workDir, 'models', `${f.id}-s${input.seed}-${key.slice(0, 12)}`);
      const c = ctx();
      const t0 = Date.now();
      mkdirSync(runDir, { recursive: true });
      // one line per optimizer step and process: shows which steps each attempt trained
      const trace = join(runDir, 'progress.jsonl');
      const onTrainProgress = (p: TrainProgress) => {
        c.heartbeat(p);
        appendFileSync(trace, JSON.stringify({ pid: process.pid, step: p.step, epoch: p.epoch, loss: p.loss }) + '\n');
      };
      const out = await cachedStep(input.workDir, 'train', { key, runDir }, async () => {
        const r = await steps.train(input, runDir, { ...c, onTrainProgress });
        return { family: f.id, name: f.name, seed: input.seed, runDir, artifactDir: join(runDir, 'model'), ...r, seconds: (Date.now() - t0) / 1000 };
      }, (o) => [o.artifactDir]);
      return done(input.workDir, 'train', out, { family: f.id, seed: input.seed, steps: out.steps, resumedFromStep: out.resumedFromStep });
    },
    async evaluateModel(input) {
      const out = await cachedStep(input.workDir, 'evaluate', modelKey(input, { evaluate: input.evaluate }), async () => ({ family: input.family, ...(await steps.evaluate(input, ctx())) }));
      return done(input.workDir, 'evaluate', out, { family: input.family, seed: input.seed });
    },
    async runBenchmarks(input) {
      const out = await cachedStep(input.workDir, 'benchmark', modelKey(input, { tasks: input.tasks }), async () => ({ family: input.family, ...(await steps.benchmark(input, ctx())) }));
      return done(input.workDir, 'benchmark', out, { family: input.family, seed: input.seed });
    },
    // the gate reads the registry's current champion: never cached
    compareWithChampion: async (input) => ({ family: input.family, ...(await steps.compare(input, ctx())) }),
    async exportOutputs(input) {
      const out = await cachedStep(input.workDir, 'export', modelKey(input, { topK: input.topK }), async () => ({ family: input.family, ...(await steps.exportOutputs(input, ctx())) }), (o) => o.files);
      return done(input.workDir, 'export', out, { family: input.family, files: out.files.length });
    },
    async promoteModel(input) {
      const out = { family: input.family, ...(await steps.promote(input, ctx())) };
      appendLedger(input.workDir, { step: 'promote', family: input.family, promoted: out.promoted });
      return out;
    },
    reportRun: (input) => steps.report(input, ctx()),
    async describeModel({ workDir, runDir }) {
      const info = readRunInfo(runDir);
      return { workDir, preparedDir: info.preparedDir, runDir, artifactDir: join(runDir, 'model'), artifactHash: info.artifactHash, family: info.family, name: info.name, seed: info.seed };
    },
    exportPartition: (input) => exportPartitionOnce(steps, input, ctx()),
    async exportedPartitions({ workDir, family }) {
      const dir = backfillDir(workDir, family);
      if (!existsSync(dir)) return [];
      return readdirSync(dir).filter((f) => f.endsWith('.done.json')).map((f) => f.slice(0, -'.done.json'.length)).sort();
    },
  };
}

/** Exports one partition unless its marker exists. The marker is created with O_EXCL after the files
 * are in place, so two attempts can never both count as the export of a partition. */
async function exportPartitionOnce(steps: PipelineSteps, input: Parameters<CfmActivities['exportPartition']>[0], c: StepContext): Promise<PartitionOutput> {
  const dir = backfillDir(input.workDir, input.family);
  const marker = join(dir, `${input.asOf}.done.json`);
  if (existsSync(marker)) return { ...(JSON.parse(readFileSync(marker, 'utf8')) as PartitionOutput), skipped: true };
  const r = await steps.exportPartition(input, join(dir, input.asOf), c);
  const out: PartitionOutput = { asOf: input.asOf, files: r.files, customers: r.customers, skipped: false };
  try {
    writeFileSync(marker, JSON.stringify(out), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { ...out, skipped: true };
    throw e;
  }
  appendLedger(input.workDir, { step: 'exportPartition', family: input.family, asOf: input.asOf });
  return out;
}
