import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, removeLeftovers, runtimeOptions, silentProgress, withFolderLock } from '@cfm/core';
import type { LockOwner, ProgressReporter } from '@cfm/core';
import { partitionKey } from '@cfm/contracts';
import type { CfmActivities, ModelRef, PartitionOutput, TrainProgress } from '@cfm/contracts';
import { relocatePrepared } from '@cfm/data';
import { FOLDER_MANIFEST } from '@cfm/storage';
import { cachedStep } from './cache';
import { live, type Liveness } from './liveness';
import type { RunInfo } from './steps/run-files';
import type { PipelineSteps, StepContext } from './step-context';
import { openWorkspace, type Workspace } from './workspace';
import { shardedActivities } from './sharded-activities';

export interface ActivityDeps {
  steps: PipelineSteps;
  progress?: ProgressReporter;
  /** the current activity's heartbeat + cancel signal (the worker reads them from Temporal's Context) */
  context?: () => Liveness;
  /** how a worker opens a run's workDir (default: openWorkspace with its own storage settings and scratch folder) */
  workspace?: (workDir: string) => Workspace;
}

/** One line per step that did work (not served from the cache): the audit trail that shows nothing ran twice. */
export function appendLedger(workDir: string, entry: Record<string, unknown>): void {
  mkdirSync(workDir, { recursive: true });
  appendFileSync(join(workDir, 'ledger.jsonl'), JSON.stringify({ ...entry, pid: process.pid, at: new Date().toISOString() }) + '\n');
}

/** The ledger of a local workDir (for an object store: openWorkspace(uri).readLedger()). */
export function readLedger(workDir: string): Array<Record<string, unknown>> {
  const f = join(workDir, 'ledger.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Directory of one backfill family; partition markers are <asOf>.done.json inside it. */
export const backfillDir = (workDir: string, family: string) => join(workDir, 'backfill', family);

/** The files a model step reads, made local: the prepared data and the model folder (run.json, model/, earlier results). */
interface LocalModel {
  preparedDir: string;
  runDir: string;
  artifactDir: string;
}

/** The activities: thin adapters over the pipeline steps (small JSON in and out, references to folders). Every step
 * is cached on its inputs, so a retried or re-run activity returns the earlier output instead of writing it again;
 * training resumes from its checkpoints. References are resolved through the run's Workspace: a local workDir is
 * used in place, an object-store one is staged into this worker's scratch folder and published back. */
export function createActivities(deps: ActivityDeps): CfmActivities {
  const progress = deps.progress ?? silentProgress;
  const workspace = deps.workspace ?? ((w: string) => openWorkspace(w));
  const run = <T>(activity: string, fn: (c: StepContext) => Promise<T>) => live(activity, progress, deps.context?.(), fn);
  /** a killed writer's temp files in a folder we now hold, removed (and said) */
  const leftovers = (dir: string, c: StepContext) => {
    const gone = removeLeftovers(dir);
    if (gone.length) c.progress.log(`removed ${gone.length} leftover(s) of a killed run in ${dir}: ${gone.join(', ')}`);
  };
  /** one writer per folder on this machine (a local workDir: the folder itself; an object store: the scratch copy) */
  const locked = <T>(dir: string, what: string, c: StepContext, fn: () => Promise<T>) =>
    withFolderLock(dir, what, fn, {
      signal: c.signal,
      onWait: (o: LockOwner) => c.progress.log(`${what}: waiting for ${dir} (held by pid ${o.pid} on ${o.host}: ${o.what ?? '?'})`),
    });
  const done = async <O extends { cached: boolean }>(
    ws: Workspace,
    step: string,
    out: O,
    extra: Record<string, unknown> = {},
  ): Promise<O> => {
    if (!out.cached) await ws.appendLedger({ step, ...extra, pid: process.pid, at: new Date().toISOString() });
    return out;
  };
  /** the key of a model's inputs with the artifact's content hash: another model at the same place is another key */
  const modelKey = ({ workDir: _w, ...ref }: ModelRef, extra: Record<string, unknown>) => ({ ...ref, ...extra });
  /** stages what a model step reads; `files`: results of earlier steps it merges with (e.g. eval.json) */
  const stageModel = async (
    ws: Workspace,
    ref: Pick<ModelRef, 'preparedDir' | 'runDir' | 'artifactDir'>,
    files: string[] = [],
  ): Promise<LocalModel> => {
    const preparedDir = await ws.stage(ref.preparedDir);
    const runDir = ws.local(ref.runDir);
    if (ws.remote) {
      mkdirSync(runDir, { recursive: true });
      await ws.fetch(ref.artifactDir);
      for (const f of ['run.json', ...files]) await ws.fetchFile(ref.runDir, f);
    }
    return { preparedDir, runDir, artifactDir: ws.local(ref.artifactDir) };
  };
  const { steps } = deps;
  return {
    ...shardedActivities({ workspace, run, done: (ws, step, out) => done(ws, step, out) }),
    async prepareData({ spec }) {
      if (spec.dataset.source === 'prepared') {
        const path = spec.dataset.path;
        const r = await run('prepareData', (c) => steps.prepare(spec, path, c));
        return { preparedDir: path, ...r, cached: true };
      }
      const ws = workspace(spec.workDir);
      const input = { dataset: spec.dataset, prepare: spec.prepare, seed: spec.seed, dataDir: spec.dataDir };
      const preparedDir = ws.at('prepared', configHash(input));
      const local = ws.local(preparedDir);
      return run('prepareData', (c) =>
        locked(local, 'prepare', c, async () => {
          // built beside and swapped in complete: a killed prepare leaves only a .partial folder, removed by the next one
          const out = await cachedStep(
            ws,
            'prepare',
            input,
            async () => {
              const partial = `${local}.partial`;
              rmSync(partial, { recursive: true, force: true });
              const r = await steps.prepare(spec, partial, c);
              rmSync(local, { recursive: true, force: true });
              renameSync(partial, local);
              await relocatePrepared(local);
              await ws.publish(preparedDir);
              return { preparedDir, ...r };
            },
            (o) => [complete(ws, o.preparedDir, 'manifest.json')],
          );
          return done(ws, 'prepare', out);
        }),
      );
    },
    async trainModel(input) {
      const ws = workspace(input.workDir);
      const f = input.family;
      const key = configHash({ dataHash: input.dataHash, preparedDir: input.preparedDir, family: f.name, config: f.config });
      const runDir = input.runDir ?? ws.at('models', `${f.id}-s${input.seed}-${key.slice(0, 12)}`);
      const localRun = ws.local(runDir);
      const artifactDir = ws.remote ? `${runDir}/model` : join(runDir, 'model');
      const checkpoints = ws.remote ? `${runDir}/checkpoints` : join(runDir, 'checkpoints');
      return run('trainModel', (c) =>
        locked(localRun, `train ${f.id} seed ${input.seed}`, c, async () => {
          const t0 = Date.now();
          mkdirSync(localRun, { recursive: true });
          leftovers(localRun, c);
          // one line per optimizer step and process: shows which steps each attempt trained
          const trace = join(localRun, 'progress.jsonl');
          const onTrainProgress = (p: TrainProgress) => {
            c.heartbeat(p);
            appendFileSync(trace, JSON.stringify({ pid: process.pid, step: p.step, epoch: p.epoch, loss: p.loss }) + '\n');
          };
          // the same spec started twice trains once: the second waits for the folder, then finds the cached result
          const out = await cachedStep(
            ws,
            'train',
            { key, runDir },
            async () => {
              const preparedDir = await ws.stage(input.preparedDir);
              // another worker's checkpoints (object store): resume where it stopped
              if (ws.remote) await ws.fetch(checkpoints);
              const onCheckpoint = ws.remote ? () => ws.publish(checkpoints) : undefined;
              const r = await steps.train({ ...input, preparedDir }, localRun, { ...c, onTrainProgress, onCheckpoint });
              if (ws.remote) {
                await ws.publish(artifactDir);
                for (const file of ['train.json', 'progress.jsonl', 'run.json']) await ws.publishFile(runDir, file);
              }
              return { family: f.id, name: f.name, seed: input.seed, runDir, artifactDir, ...r, seconds: (Date.now() - t0) / 1000 };
            },
            (o) => [complete(ws, o.artifactDir, 'manifest.json')],
          );
          return done(ws, 'train', out, { family: f.id, seed: input.seed, steps: out.steps, resumedFromStep: out.resumedFromStep });
        }),
      );
    },
    async evaluateModel(input) {
      const ws = workspace(input.workDir);
      const out = await run('evaluateModel', (c) =>
        cachedStep(ws, 'evaluate', modelKey(input, { evaluate: input.evaluate }), async () => {
          const l = await stageModel(ws, input, ['eval.json']);
          const r = await steps.evaluate({ ...input, ...l }, c);
          await ws.publishFile(input.runDir, 'eval.json');
          return { family: input.family, ...r };
        }),
      );
      return done(ws, 'evaluate', out, { family: input.family, seed: input.seed });
    },
    async runBenchmarks(input) {
      const ws = workspace(input.workDir);
      const out = await run('runBenchmarks', (c) =>
        cachedStep(ws, 'benchmark', modelKey(input, { tasks: input.tasks }), async () => {
          const l = await stageModel(ws, input);
          const r = await steps.benchmark({ ...input, ...l }, c);
          await ws.publishFile(input.runDir, 'benchmarks.json');
          return { family: input.family, ...r };
        }),
      );
      return done(ws, 'benchmark', out, { family: input.family, seed: input.seed });
    },
    // the gate reads the registry's current champion: never cached
    compareWithChampion: (input) =>
      run('compareWithChampion', async (c) => {
        const ws = workspace(input.workDir);
        const l = await stageModel(ws, input);
        const r = await steps.compare({ ...input, ...l }, c, {
          registry: registryOf(ws),
          artifactRef: input.artifactDir,
          runRef: input.runDir,
        });
        await ws.publishFile(input.runDir, 'gate.json');
        return { family: input.family, ...r };
      }),
    async exportOutputs(input) {
      const ws = workspace(input.workDir);
      const exportsRef = ws.remote ? `${input.runDir}/exports` : join(input.runDir, 'exports');
      const out = await run('exportOutputs', (c) =>
        locked(ws.local(exportsRef), `export ${input.family}`, c, () => {
          leftovers(ws.local(exportsRef), c);
          return cachedStep(
            ws,
            'export',
            modelKey(input, { topK: input.topK }),
            async () => {
              const l = await stageModel(ws, input);
              const r = await steps.exportOutputs({ ...input, ...l }, c);
              await ws.publish(exportsRef);
              await ws.publishFile(input.runDir, 'export.json');
              const files = r.files.map((f) => (ws.remote ? `${exportsRef}/${f.split('/').pop()}` : f));
              return { family: input.family, ...r, files };
            },
            (o) => o.files,
          );
        }),
      );
      return done(ws, 'export', out, { family: input.family, files: out.files.length });
    },
    async promoteModel(input) {
      const ws = workspace(input.workDir);
      const out = await run('promoteModel', async (c) => {
        const l = await stageModel(ws, input);
        const r = await steps.promote({ ...input, ...l }, c, {
          registry: registryOf(ws),
          artifactRef: input.artifactDir,
          runRef: input.runDir,
        });
        if (r.promoted) await ws.publishFile(input.runDir, 'promote.json');
        return { family: input.family, ...r };
      });
      await ws.appendLedger({
        step: 'promote',
        family: input.family,
        promoted: out.promoted,
        pid: process.pid,
        at: new Date().toISOString(),
      });
      return out;
    },
    reportRun: (input) =>
      run('reportRun', async (c) => {
        const ws = workspace(input.workDir);
        // the report reads local folders: an object store's model folders are staged first
        const models = await Promise.all(
          input.models.map(async (m) => {
            if (!ws.remote) return m;
            await ws.fetch(`${m.runDir}/model`);
            await ws.fetch(`${m.runDir}/exports`);
            for (const f of [
              'run.json',
              'train.json',
              'eval.json',
              'benchmarks.json',
              'export.json',
              'gate.json',
              'promote.json',
              'experts.json',
            ])
              await ws.fetchFile(m.runDir, f);
            return { ...m, runDir: ws.local(m.runDir) };
          }),
        );
        const local = ws.local(ws.root);
        const r = await steps.report({ ...input, models, workDir: local }, c);
        await ws.publishFile(ws.root, 'summary.json');
        await ws.publishFile(ws.root, 'report.html');
        return ws.remote ? { summaryFile: ws.at('summary.json'), reportFile: ws.at('report.html') } : r;
      }),
    async describeModel({ workDir, runDir }) {
      const ws = workspace(workDir);
      const info = await ws.readJson<RunInfo>(ws.remote ? `${runDir}/run.json` : join(runDir, 'run.json'));
      if (!info) throw new Error(`${runDir} is not a model folder (no run.json)`);
      const artifactDir = ws.remote ? `${runDir}/model` : join(runDir, 'model');
      return {
        workDir,
        preparedDir: info.preparedDir,
        runDir,
        artifactDir,
        artifactHash: info.artifactHash,
        family: info.family,
        name: info.name,
        seed: info.seed,
      };
    },
    exportPartition: (input) => run('exportPartition', (c) => exportPartitionOnce(steps, workspace(input.workDir), input, c)),
    async exportedPartitions({ workDir, family }) {
      const ws = workspace(workDir);
      const names = await ws.names(ws.at('backfill', family));
      return names
        .filter((f) => f.endsWith('.done.json'))
        .map((f) => f.slice(0, -'.done.json'.length))
        .sort();
    },
  };
}

/** What shows that the folder `ref` is complete: its own manifest (written last) locally, the published folder's
 * manifest in an object store. */
const complete = (ws: Workspace, ref: string, manifest: string) => (ws.remote ? `${ref}/${FOLDER_MANIFEST}` : join(ref, manifest));

/** The champion registry of a run: the local workDir's DuckDB file; for an object-store workDir the shared registry
 * every worker reaches (CFM_REGISTRY_URL, e.g. postgres://…). */
export function registryOf(ws: Workspace): string {
  const shared = runtimeOptions().CFM_REGISTRY_URL;
  if (shared) return shared;
  if (ws.remote)
    throw new Error(
      `the run's workDir ${ws.root} is in an object store: set CFM_REGISTRY_URL to the shared registry (postgres://…) on every worker`,
    );
  return ws.at('registry.duckdb');
}

/** Exports one partition unless its marker exists. The marker is created once (O_EXCL, or an object store's
 * conditional put) after the files are in place, so two attempts can never both count as the export of a partition. */
async function exportPartitionOnce(
  steps: PipelineSteps,
  ws: Workspace,
  input: Parameters<CfmActivities['exportPartition']>[0],
  c: StepContext,
): Promise<PartitionOutput> {
  const key = partitionKey(input.asOf, input.shard);
  const marker = ws.at('backfill', input.family, `${key}.done.json`);
  const earlier = await ws.readJson<PartitionOutput>(marker);
  if (earlier) return { ...earlier, skipped: true };
  const outRef =
    input.shard && input.shard.count > 1
      ? ws.at('backfill', input.family, input.asOf, `s${input.shard.index}of${input.shard.count}`)
      : ws.at('backfill', input.family, input.asOf);
  const l = { preparedDir: await ws.stage(input.preparedDir), artifactDir: await ws.stage(input.artifactDir) };
  const r = await steps.exportPartition({ ...input, ...l }, ws.local(outRef), c);
  await ws.publish(outRef);
  const files = r.files.map((f) => (ws.remote ? `${outRef}/${f.split('/').pop()}` : f));
  const out: PartitionOutput = { asOf: input.asOf, key, files, customers: r.customers, skipped: false };
  if (!(await ws.createOnce(marker, out))) return { ...out, skipped: true };
  await ws.appendLedger({
    step: 'exportPartition',
    family: input.family,
    asOf: input.asOf,
    key,
    pid: process.pid,
    at: new Date().toISOString(),
  });
  return out;
}
