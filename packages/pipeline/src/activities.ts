import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, removeLeftovers, silentProgress, withFolderLock } from '@cfm/core';
import type { LockOwner, ProgressReporter } from '@cfm/core';
import type { CfmActivities, ModelRef, PartitionOutput, TrainProgress } from '@cfm/contracts';
import { relocatePrepared } from '@cfm/data';
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
  /** A step's context with liveness: every progress event becomes a heartbeat (the SDK throttles them), and a ticker
   * repeats the last one every few seconds while the step runs (DuckDB queries, lock waits, long batches). */
  const live = async <T>(activity: string, fn: (c: StepContext) => Promise<T>): Promise<T> => {
    const c = deps.context?.();
    let last: Record<string, unknown> = {};
    const beat = (d?: unknown) => {
      if (d !== undefined) last = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : { detail: d };
      c?.heartbeat({ activity, ...last });
    };
    const reporter: ProgressReporter = {
      start: (step, total) => (progress.start(step, total), beat({ stage: step, done: 0, total })),
      update: (e) => (progress.update(e), beat({ stage: e.step, done: e.done, total: e.total })),
      finish: (step, info) => (progress.finish(step, info), beat({ stage: step, finished: true })),
      log: (line) => progress.log(line),
    };
    const timer = c ? setInterval(() => beat(), 3000) : undefined;
    timer?.unref();
    try {
      return await fn({ progress: reporter, heartbeat: beat, signal: c?.signal });
    } finally {
      clearInterval(timer);
    }
  };
  /** a killed writer's temp files in a folder we now hold, removed (and said) */
  const leftovers = (dir: string, c: StepContext) => {
    const gone = removeLeftovers(dir);
    if (gone.length) c.progress.log(`removed ${gone.length} leftover(s) of a killed run in ${dir}: ${gone.join(', ')}`);
  };
  const lock = (dir: string, what: string, c: StepContext) => ({
    signal: c.signal, onWait: (o: LockOwner) => c.progress.log(`${what}: waiting for ${dir} (held by pid ${o.pid} on ${o.host}: ${o.what ?? '?'})`),
  });
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
        const path = spec.dataset.path;
        const r = await live('prepareData', (c) => steps.prepare(spec, path, c));
        return { preparedDir: path, ...r, cached: true };
      }
      const input = { dataset: spec.dataset, prepare: spec.prepare, seed: spec.seed, dataDir: spec.dataDir };
      const preparedDir = join(spec.workDir, 'prepared', configHash(input));
      return live('prepareData', (c) => withFolderLock(preparedDir, 'prepare', async () => {
        // built beside and swapped in complete: a killed prepare leaves only a .partial folder, removed by the next one
        const out = await cachedStep(spec.workDir, 'prepare', input, async () => {
          const partial = `${preparedDir}.partial`;
          rmSync(partial, { recursive: true, force: true });
          const r = await steps.prepare(spec, partial, c);
          rmSync(preparedDir, { recursive: true, force: true });
          renameSync(partial, preparedDir);
          await relocatePrepared(preparedDir);
          return { preparedDir, ...r };
        }, (o) => [join(o.preparedDir, 'manifest.json')]);
        return done(spec.workDir, 'prepare', out);
      }, lock(preparedDir, 'prepare', c)));
    },
    async trainModel(input) {
      const f = input.family;
      const key = configHash({ dataHash: input.dataHash, preparedDir: input.preparedDir, family: f.name, config: f.config });
      const runDir = input.runDir ?? join(input.workDir, 'models', `${f.id}-s${input.seed}-${key.slice(0, 12)}`);
      return live('trainModel', (c) => withFolderLock(runDir, `train ${f.id} seed ${input.seed}`, async () => {
        const t0 = Date.now();
        mkdirSync(runDir, { recursive: true });
        leftovers(runDir, c);
        // one line per optimizer step and process: shows which steps each attempt trained
        const trace = join(runDir, 'progress.jsonl');
        const onTrainProgress = (p: TrainProgress) => {
          c.heartbeat(p);
          appendFileSync(trace, JSON.stringify({ pid: process.pid, step: p.step, epoch: p.epoch, loss: p.loss }) + '\n');
        };
        // the same spec started twice trains once: the second waits for the folder, then finds the cached result
        const out = await cachedStep(input.workDir, 'train', { key, runDir }, async () => {
          const r = await steps.train(input, runDir, { ...c, onTrainProgress });
          return { family: f.id, name: f.name, seed: input.seed, runDir, artifactDir: join(runDir, 'model'), ...r, seconds: (Date.now() - t0) / 1000 };
        }, (o) => [join(o.artifactDir, 'manifest.json')]);
        return done(input.workDir, 'train', out, { family: f.id, seed: input.seed, steps: out.steps, resumedFromStep: out.resumedFromStep });
      }, lock(runDir, `train ${f.id}`, c)));
    },
    async evaluateModel(input) {
      const out = await live('evaluateModel', (c) => cachedStep(input.workDir, 'evaluate', modelKey(input, { evaluate: input.evaluate }), async () => ({ family: input.family, ...(await steps.evaluate(input, c)) })));
      return done(input.workDir, 'evaluate', out, { family: input.family, seed: input.seed });
    },
    async runBenchmarks(input) {
      const out = await live('runBenchmarks', (c) => cachedStep(input.workDir, 'benchmark', modelKey(input, { tasks: input.tasks }), async () => ({ family: input.family, ...(await steps.benchmark(input, c)) })));
      return done(input.workDir, 'benchmark', out, { family: input.family, seed: input.seed });
    },
    // the gate reads the registry's current champion: never cached
    compareWithChampion: (input) => live('compareWithChampion', async (c) => ({ family: input.family, ...(await steps.compare(input, c)) })),
    async exportOutputs(input) {
      const exportsDir = join(input.runDir, 'exports');
      const out = await live('exportOutputs', (c) => withFolderLock(exportsDir, `export ${input.family}`, () => {
        leftovers(exportsDir, c);
        return cachedStep(input.workDir, 'export', modelKey(input, { topK: input.topK }), async () => ({ family: input.family, ...(await steps.exportOutputs(input, c)) }), (o) => o.files);
      }, lock(exportsDir, 'export', c)));
      return done(input.workDir, 'export', out, { family: input.family, files: out.files.length });
    },
    async promoteModel(input) {
      const out = await live('promoteModel', async (c) => ({ family: input.family, ...(await steps.promote(input, c)) }));
      appendLedger(input.workDir, { step: 'promote', family: input.family, promoted: out.promoted });
      return out;
    },
    reportRun: (input) => live('reportRun', (c) => steps.report(input, c)),
    async describeModel({ workDir, runDir }) {
      const info = readRunInfo(runDir);
      return { workDir, preparedDir: info.preparedDir, runDir, artifactDir: join(runDir, 'model'), artifactHash: info.artifactHash, family: info.family, name: info.name, seed: info.seed };
    },
    exportPartition: (input) => live('exportPartition', (c) => exportPartitionOnce(steps, input, c)),
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
