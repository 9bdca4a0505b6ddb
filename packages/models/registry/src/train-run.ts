/** `cfm train` as a library call: resolve + prepare the dataset, build the family's model from its
 * config (paper defaults < dataset preset < overrides), fit with checkpoints (re-running resumes),
 * save the artifact. A run directory holds run.json, checkpoints/, model/, train.json. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfmError, lineProgress, type FitReport, type PreparedDataset, type ProgressReporter } from '@cfm/core';
import { loadPrepared } from '@cfm/data';
import { prepareDataset } from '@cfm/datasets';
import { writeAtomic } from '@cfm/tensor';
import { getFamily } from './index';

export interface TrainRunOptions {
  model: string;
  /** adapter name (e.g. s3rec-beauty), path:<dir>, or a prepared directory (has manifest.json) */
  dataset: string;
  out: string;
  epochs?: number;
  seed?: number;
  /** config overrides, e.g. { lr: 1e-3 } */
  config?: Record<string, unknown>;
  checkpointEvery?: number;
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

export interface RunInfo {
  model: string;
  dataset: string;
  preparedDir: string;
  seed: number;
  epochs: number;
  config: unknown;
}

/** prepared dir for a dataset argument, preparing into `<out>/data` when needed */
export async function resolvePrepared(dataset: string, out: string, progress: ProgressReporter): Promise<string> {
  if (existsSync(join(dataset, 'manifest.json'))) return resolve(dataset);
  const dir = resolve(out, 'data');
  if (!existsSync(join(dir, 'manifest.json'))) await prepareDataset({ dataset, out: dir, progress });
  return dir;
}

/** "key=value" pairs → object (numbers and booleans parsed) */
export function parseOverrides(pairs: string[] = []): Record<string, unknown> {
  return Object.fromEntries(
    pairs.map((p) => {
      const i = p.indexOf('=');
      if (i < 1) throw new CfmError('CFM_E_CONFIG', `expected key=value, got "${p}"`, { field: 'config' });
      const raw = p.slice(i + 1);
      const v = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
      return [p.slice(0, i), v];
    }),
  );
}

export async function trainRun(o: TrainRunOptions): Promise<{ report: FitReport; info: RunInfo; data: PreparedDataset }> {
  const progress = o.progress ?? lineProgress();
  const family = getFamily(o.model);
  mkdirSync(o.out, { recursive: true });
  const runFile = join(o.out, 'run.json');
  const previous = existsSync(runFile) ? (JSON.parse(readFileSync(runFile, 'utf8')) as RunInfo) : undefined;
  const preparedDir = previous?.preparedDir ?? (await resolvePrepared(o.dataset, o.out, progress));
  const data = await loadPrepared(preparedDir);
  const preset = (family as { presetFor?: (d: string) => Record<string, unknown> }).presetFor?.(data.dataset) ?? {};
  const parsed = family.config.safeParse({ ...preset, ...o.config, ...(o.epochs ? { epochs: o.epochs } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CfmError('CFM_E_CONFIG', issue.message, { field: issue.path.join('.') });
  }
  const config = parsed.data as Record<string, unknown>;
  const seed = Number(config.seed ?? 0);
  const info: RunInfo = { model: o.model, dataset: data.dataset, preparedDir, seed, epochs: Number(config.epochs ?? o.epochs ?? 1), config };
  writeAtomic(runFile, JSON.stringify(info, null, 1));
  progress.log(`train ${o.model} on ${data.dataset} (${data.train.customerIds.length} customers, ${data.vocabs.item.tokens.length} items) seed ${seed} → ${o.out}`);
  const model = family.create(config, data);
  try {
    const report = await model.fit(data, {
      epochs: info.epochs,
      seed,
      checkpointDir: join(o.out, 'checkpoints'),
      checkpointEvery: o.checkpointEvery ?? 200,
      signal: o.signal,
    });
    await model.save(join(o.out, 'model'));
    writeAtomic(join(o.out, 'train.json'), JSON.stringify(report, null, 1));
    return { report, info, data };
  } finally {
    model.dispose();
  }
}
