/** The evaluate step: next-item ranking of a model folder's artifact under each protocol of the run (every
 * negative-sampling seed of a sampled protocol), with the real split stated. Results are merged into the
 * folder's eval.json by protocol label (those of another artifact are dropped). */
import type { EvaluateInput, EvaluateSpec, ProtocolResult } from '@cfm/contracts';
import { loadPrepared, type PreparedManifest } from '@cfm/data';
import { summarizeSeeds, describeEval, rankEval, rankEvalMany, type RankEvalOptions } from '@cfm/eval';
import type { StepContext } from '../step-context';
import { describeSplit } from './prepare';
import { readRunFile, writeRunFile } from './run-files';
import type { FamilyLookup } from './train';

/** short protocol name: 'full', 'full-keephist', 'sampled-uniform-99', 'sampled-popularity-100' */
export function protocolLabel(e: EvaluateSpec): string {
  const base = e.protocol === 'full' ? (e.excludeHistory ? 'full' : 'full-keephist') : `sampled-${e.sampling}-${e.negatives}`;
  const split = e.split === 'test' ? base : `${base}-${e.split}`;
  return e.task ? `${split}@${e.task}` : split;
}

export function rankOptions(e: EvaluateSpec, seed: number, maxLen: number): RankEvalOptions {
  return {
    protocol: e.protocol === 'full' ? 'full' : e.sampling === 'popularity' ? 'sampled-pop' : 'sampled-uniform',
    seed,
    negatives: e.negatives,
    excludeHistory: e.excludeHistory,
    maxLen,
    k: [...new Set([1, 5, 10, 20, ...e.ks])].sort((a, b) => a - b),
    ...(e.task ? { task: e.task } : {}),
  };
}

/** true when the entry ranks items (no task, or a task whose scores index the item vocabulary) */
function isItemTask(model: { tasks: string[]; taskOutputs: Readonly<Record<string, { vocab: string }>> }, task?: string): boolean {
  if (!task) return true;
  return model.tasks.includes(task) && (model.taskOutputs[task]?.vocab ?? 'item') === 'item';
}

interface EvalFile {
  artifactHash: string;
  split: string;
  results: ProtocolResult[];
  seconds: number;
}

export async function evaluateStep(
  families: FamilyLookup,
  input: EvaluateInput,
  ctx: StepContext,
): Promise<{ split: string; results: ProtocolResult[]; seconds: number }> {
  const t0 = Date.now();
  const [data, model] = await Promise.all([loadPrepared(input.preparedDir), families(input.name).load(input.artifactDir)]);
  try {
    const manifest = data.manifest as unknown as PreparedManifest;
    // the protocol names the split's method only: temporal cut-off dates move with every retrain, the method does not
    const method = describeSplit({ split: manifest.split, cutoffsMs: undefined });
    const split = describeSplit(manifest);
    const results: ProtocolResult[] = [];
    // next-item entries of one split are ranked from one scoring pass (every protocol and negative seed at once)
    const shared = new Map<string, Array<Record<string, number>>>();
    for (const split of ['test', 'valid'] as const) {
      const group = input.evaluate.filter((e) => e.split === split && isItemTask(model, e.task));
      if (!group.length) continue;
      const opts = group.flatMap((e) => e.seeds.map((seed) => rankOptions(e, seed, model.maxLen)));
      if (ctx.signal?.aborted) throw new Error('evaluation cancelled');
      const label = `evaluate ${input.family} ${group.map(protocolLabel).join(' + ')}`;
      const all = rankEvalMany(
        model,
        data,
        split,
        opts.map((o, i) => (i ? o : { ...o, progress: ctx.progress, label })),
      ).map((r) => r.metrics);
      let k = 0;
      for (const e of group) shared.set(protocolLabel(e), all.slice(k, (k += e.seeds.length)));
      ctx.heartbeat({ family: input.family, protocol: label });
    }
    for (const e of input.evaluate) {
      if (e.task && !model.tasks.includes(e.task)) {
        // e.g. next-brand of a family that predicts items only: an empty entry keeps results[i] = evaluate[i]
        results.push({
          label: protocolLabel(e),
          protocol: `${method} split, task ${e.task}: not a head of ${input.family}`,
          seeds: e.seeds,
          perSeed: [],
          metrics: {},
          std: {},
        });
        continue;
      }
      const perSeed: Array<Record<string, number>> = shared.get(protocolLabel(e)) ?? [];
      for (const seed of shared.has(protocolLabel(e)) ? [] : e.seeds) {
        if (ctx.signal?.aborted) throw new Error('evaluation cancelled');
        const o = {
          ...rankOptions(e, seed, model.maxLen),
          progress: ctx.progress,
          label: `evaluate ${input.family} ${protocolLabel(e)}${e.seeds.length > 1 ? ` seed ${seed}` : ''}`,
        };
        perSeed.push(rankEval(model, data, e.split, o).metrics);
        ctx.heartbeat({ family: input.family, protocol: protocolLabel(e), seed });
      }
      const o = rankOptions(e, e.seeds[0], model.maxLen);
      let what =
        e.protocol === 'full'
          ? describeEval(o, e.split)
          : describeEval(o, e.split).replace(/ \(seed \d+\)$/, ` (seeds ${e.seeds.join(', ')})`);
      const vocab = e.task ? model.taskOutputs[e.task]?.vocab : undefined;
      if (vocab && vocab !== 'item')
        what = `${e.split}, task ${e.task}: full ranking over every ${vocab} against the target item's (accuracy = hr@1)`;
      else if (e.task) what = `${what}, task ${e.task}`;
      const names = Object.keys(perSeed[0]);
      const stats = names.map((k) => [k, summarizeSeeds(perSeed.map((m) => m[k]))] as const);
      results.push({
        label: protocolLabel(e),
        protocol: `${method} split, ${what}`,
        seeds: e.seeds,
        perSeed,
        metrics: Object.fromEntries(stats.map(([k, s]) => [k, s.mean])),
        std: e.seeds.length > 1 ? Object.fromEntries(stats.map(([k, s]) => [k, s.std])) : {},
      });
    }
    const seconds = (Date.now() - t0) / 1000;
    const old = readRunFile<EvalFile>(input.runDir, 'eval');
    const kept = old?.artifactHash === input.artifactHash ? old.results.filter((r) => !results.some((n) => n.label === r.label)) : [];
    writeRunFile(input.runDir, 'eval', {
      artifactHash: input.artifactHash,
      split,
      results: [...results, ...kept], // the run's protocols first, in order: readers index results by evaluate position
      seconds: seconds + (kept.length ? old!.seconds : 0),
    });
    return { split, results, seconds };
  } finally {
    model.dispose();
  }
}
