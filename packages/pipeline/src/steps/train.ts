/** The train step: one family with its resolved config on prepared data, into a model folder (run.json,
 * model/, checkpoints/, train.json). Re-running resumes from the folder's checkpoints; a cancelled fit fails
 * and leaves its checkpoint (never an artifact). */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CfmError, configHash, type ModelFamily } from '@cfm/core';
import type { TrainInput, TrainProgress } from '@cfm/contracts';
import { loadPrepared, type PreparedManifest } from '@cfm/data';
import { parseConfig } from '@cfm/models';
import { artifactHash } from '@cfm/tensor';
import type { StepContext, TrainResult } from '../step-context';
import { describeSplit } from './prepare';
import { backendName, codeVersion, writeRunFile, type RunInfo } from './run-files';

export type FamilyLookup = (name: string) => ModelFamily;

/** at most this many per-step loss points in train.json (every k-th step beyond it) */
const TRACE_POINTS = 2000;

export async function trainStep(
  families: FamilyLookup,
  input: TrainInput,
  runDir: string,
  ctx: StepContext & { onTrainProgress(p: TrainProgress): void; onCheckpoint?: () => Promise<void> },
): Promise<TrainResult> {
  const spec = input.family;
  const family = families(spec.name);
  const config = parseConfig(family.config, spec.config, `families.${spec.id}.config`);
  const data = await loadPrepared(input.preparedDir);
  const kept = Number((data.manifest.config as { maxSeqLen?: number }).maxSeqLen);
  const maxLen = Number(config.maxLen);
  if (!(maxLen <= kept)) {
    throw new CfmError(
      'CFM_E_CONFIG',
      `${spec.name} reads ${maxLen} events per customer but ${input.preparedDir} keeps ${kept} (prepare.maxSeqLen)`,
      { field: `families.${spec.id}.config.maxLen` },
    );
  }
  const info: RunInfo = {
    runId: runDir.split('/').filter(Boolean).pop() ?? spec.id,
    family: spec.id,
    name: spec.name,
    seed: input.seed,
    dataset: data.dataset,
    dataHash: input.dataHash,
    preparedDir: input.preparedDir,
    split: describeSplit(data.manifest as unknown as PreparedManifest),
    config,
    configHash: configHash(config),
    preset: spec.preset,
    artifactHash: '',
    backend: backendName(),
    codeVersion: codeVersion(),
    createdAt: new Date().toISOString(),
  };
  writeRunFile(runDir, 'run', info);
  ctx.progress.log(
    `train ${spec.id} (${spec.name}) on ${data.dataset}: ${data.train.customerIds.length} customers, ${data.vocabs.item.tokens.length} items, seed ${input.seed}, config ${info.configHash} → ${runDir}`,
  );
  const inputs = (await family.inputs?.(input.preparedDir, config, data)) ?? {};
  const model = family.create(config, { vocabs: data.vocabs, itemFeatures: data.itemFeatures }, inputs);
  const trace: Array<{ step: number; epoch: number; loss: number }> = [];
  const t0 = Date.now();
  const loadStart = loadavg()[0];
  let seqPerSec = 0;
  try {
    let last = { loss: NaN, step: 0 };
    const report = await model.fit(data, {
      checkpointDir: join(runDir, 'checkpoints'),
      checkpointEvery: spec.checkpointEvery,
      signal: ctx.signal,
      onCheckpoint: ctx.onCheckpoint,
      onProgress: (p) => {
        if (p.metric !== undefined) return; // the end-of-epoch line repeats the epoch's mean loss
        last = p;
        if (p.seqPerSec) seqPerSec = p.seqPerSec;
        trace.push({ step: p.step, epoch: p.epoch, loss: p.loss });
        // the heartbeat; progress lines come from the model's own trainer (one reporter, not two)
        ctx.onTrainProgress({ family: spec.id, epoch: p.epoch, step: p.step, totalSteps: p.totalSteps, loss: p.loss });
      },
    });
    if (ctx.signal?.aborted) throw new CfmError('CFM_E_STATE', `training of ${spec.id} cancelled`, {}, true);
    await model.save(join(runDir, 'model'));
    const hash = artifactHash(join(runDir, 'model'));
    const finalLoss = report.history.at(-1)?.loss ?? last.loss;
    const seconds = (Date.now() - t0) / 1000;
    writeRunFile(runDir, 'train', {
      steps: report.steps,
      epochs: report.epochs,
      resumedFromStep: report.resumedFromStep ?? 0,
      finalLoss,
      bestMetric: report.bestMetric ?? null,
      seconds,
      seqPerSec,
      backend: info.backend,
      loadavg: [loadStart, loadavg()[0]].map((x) => +x.toFixed(2)),
      history: report.history,
      trace: thin(trace),
    });
    writeRunFile(runDir, 'run', { ...info, artifactHash: hash });
    return {
      steps: report.steps,
      resumedFromStep: report.resumedFromStep ?? 0,
      finalLoss,
      configHash: info.configHash,
      artifactHash: hash,
    };
  } finally {
    model.dispose();
  }
}

function thin<T>(xs: T[]): T[] {
  if (xs.length <= TRACE_POINTS) return xs;
  const k = Math.ceil(xs.length / TRACE_POINTS);
  return xs.filter((_, i) => i % k === 0 || i === xs.length - 1);
}
