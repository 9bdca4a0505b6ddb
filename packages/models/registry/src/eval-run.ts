/** `cfm eval` as a library call: load a run's model and prepared data, rank the test (or valid)
 * targets under one protocol for each negative-sampling seed, and report metrics with the protocol
 * stated. Results go to <run>/eval-<protocol>-<split>[-n<negatives>|-keephist].json (every protocol parameter is in
 * the name, so a stored result is never reported under another protocol); seeds already there are not recomputed,
 * unless the model changed since (the file records a fingerprint of the saved model: a resumed or retrained run is
 * evaluated again). */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError, lineProgress, type ProgressReporter } from '@cfm/core';
import { loadPrepared } from '@cfm/data';
import { formatReport, summarizeRuns, type Report } from '@cfm/eval';
import { rankEval, writeAtomic, type ProtocolName } from '@cfm/tensor';
import { getFamily } from './index';
import type { RunInfo } from './train-run';

export interface EvalRunOptions {
  run: string;
  protocol: ProtocolName;
  /** negative-sampling seeds (sampled protocols); full ranking ignores them */
  seeds?: number[];
  split?: 'valid' | 'test';
  negatives?: number;
  excludeHistory?: boolean;
  progress?: ProgressReporter;
}

export interface EvalRunResult {
  report: Report;
  perSeed: Record<string, Record<string, number>>;
  text: string;
}

const METRICS = ['hr@1', 'hr@5', 'ndcg@5', 'hr@10', 'ndcg@10', 'hr@20', 'ndcg@20', 'mrr'];

export async function evalRun(o: EvalRunOptions): Promise<EvalRunResult> {
  const progress = o.progress ?? lineProgress();
  const runFile = join(o.run, 'run.json');
  if (!existsSync(runFile)) throw new CfmError('CFM_E_FILE', 'not a run directory (no run.json); train first', { file: runFile });
  const info = JSON.parse(readFileSync(runFile, 'utf8')) as RunInfo;
  const split = o.split ?? 'test';
  const seeds = o.protocol === 'full' ? [0] : (o.seeds ?? [0]);
  const outFile = join(o.run, evalFileName(o.protocol, split, o.negatives ?? 100, o.excludeHistory !== false));
  const fingerprint = modelFingerprint(join(o.run, 'model'));
  const perSeed = storedSeeds(outFile, fingerprint);
  const todo = seeds.filter((s) => !perSeed[s]);
  if (todo.length) {
    const family = getFamily(info.model);
    const [data, model] = await Promise.all([loadPrepared(info.preparedDir), family.load(join(o.run, 'model'))]);
    const maxLen = Number((info.config as { maxLen?: number }).maxLen ?? 50);
    try {
      for (const seed of todo) {
        const r = rankEval(model, data, split, { protocol: o.protocol, seed, negatives: o.negatives, excludeHistory: o.excludeHistory, maxLen, progress, label: `eval ${o.protocol} seed ${seed}` });
        perSeed[seed] = Object.fromEntries(METRICS.map((k) => [k, r.metrics[k]]));
        storeSeeds(outFile, { run: o.run, protocol: o.protocol, split }, fingerprint, perSeed);
      }
    } finally {
      model.dispose();
    }
  }
  const negatives = o.negatives ?? 100;
  const report: Report = {
    title: `${info.model} on ${info.dataset}`,
    protocol: {
      dataset: info.dataset,
      split: `leave-one-out ${split}`,
      candidates: o.protocol === 'full' ? 'full' : 'sampled',
      negatives: o.protocol === 'full' ? undefined : { kind: o.protocol === 'sampled-pop' ? 'popularity' : 'uniform', count: negatives },
      excludeHistory: o.protocol === 'full' ? o.excludeHistory !== false : undefined,
      seeds,
      notes: `training seed ${info.seed}`,
    },
    metrics: METRICS,
    rows: [summarizeRuns(info.model, seeds.map((s) => perSeed[s]))],
  };
  return { report, perSeed, text: formatReport(report) };
}

/** sha256 (16 hex) of a saved model's manifest (which lists the sha256 of every model file), else of its weights */
export function modelFingerprint(modelDir: string): string {
  const file = [join(modelDir, 'manifest.json'), join(modelDir, 'weights.bin')].find((f) => existsSync(f));
  return file ? createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16) : 'none';
}

/** writes per-seed metrics with the fingerprint of the model they were measured on (read back by storedSeeds) */
export function storeSeeds(outFile: string, head: { run: string; protocol: string; split: string }, fingerprint: string, perSeed: Record<string, Record<string, number>>): void {
  writeAtomic(outFile, JSON.stringify({ ...head, model: fingerprint, perSeed }, null, 1));
}

/** per-seed metrics stored in a result file for this model fingerprint; none when the file is missing or was
 * written for another model (older files without a fingerprint are not trusted either) */
export function storedSeeds(outFile: string, model: string): Record<string, Record<string, number>> {
  if (!existsSync(outFile)) return {};
  const stored = JSON.parse(readFileSync(outFile, 'utf8')) as { model?: string; perSeed?: Record<string, Record<string, number>> };
  return stored.model === model && stored.perSeed ? stored.perSeed : {};
}

/** result file of one protocol: full ranking keyed by history exclusion, sampled ones by negative count */
export function evalFileName(protocol: ProtocolName, split: string, negatives: number, excludeHistory: boolean): string {
  const variant = protocol === 'full' ? (excludeHistory ? '' : '-keephist') : `-n${negatives}`;
  return `eval-${protocol}-${split}${variant}.json`;
}
