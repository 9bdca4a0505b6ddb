/** Training checkpoints: parameters + optimizer state (weights.bin/json) and the loop state (state.json)
 * in `<dir>/last`, plus the best-so-far parameters in `<dir>/best`. */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import type { AdamW } from './optim';
import type { Params } from './params';
import { loadWeights, replaceDir, saveWeights, writeAtomic } from './weights-io';

export interface LoopState {
  step: number;
  bestMetric: number | null;
  bestStep: number | null;
  badValidations: number;
  history: Array<{ epoch: number; loss: number; metric?: number; seconds: number }>;
  /** fingerprint of config + data the run was started with; a mismatch refuses to resume */
  runKey: string;
}

export async function saveCheckpoint(dir: string, params: Params, opt: AdamW, state: LoopState): Promise<void> {
  const tmp = join(dir, `last.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const named: tf.NamedTensorMap = { ...Object.fromEntries(params.vars), ...opt.state() };
  await saveWeights(tmp, named);
  writeAtomic(join(tmp, 'state.json'), JSON.stringify(state));
  replaceDir(tmp, join(dir, 'last'));
}

/** restores params + optimizer from `<dir>/last`; returns null when there is no checkpoint */
export function loadCheckpoint(dir: string, params: Params, opt: AdamW, runKey: string): LoopState | null {
  const last = join(dir, 'last');
  if (!existsSync(join(last, 'state.json'))) return null;
  const state = JSON.parse(readFileSync(join(last, 'state.json'), 'utf8')) as LoopState;
  if (state.runKey !== runKey)
    throw new CfmError(
      'CFM_E_STATE',
      `checkpoint was written by a different config or dataset (${state.runKey} != ${runKey}); use a new directory`,
      { file: last },
    );
  const values = loadWeights(last);
  try {
    params.assign(values, join(last, 'weights.bin'));
    opt.loadState(values, state.step);
  } finally {
    tf.dispose(values);
  }
  return state;
}

export async function saveBest(dir: string, params: Params): Promise<void> {
  const tmp = join(dir, `best.tmp-${process.pid}`);
  await saveWeights(tmp, Object.fromEntries(params.vars));
  replaceDir(tmp, join(dir, 'best'));
}

export function loadBest(dir: string, params: Params): boolean {
  if (!existsSync(join(dir, 'best', 'weights.json'))) return false;
  const values = loadWeights(join(dir, 'best'));
  try {
    params.assign(values, join(dir, 'best', 'weights.bin'));
  } finally {
    tf.dispose(values);
  }
  return true;
}
