import { availableParallelism } from 'node:os';
import { CfmError, silentProgress } from '@cfm/core';
import type { ProgressReporter } from '@cfm/core';
import type { DMatrixInput } from './dmatrix';
import { createDMatrix, freeDMatrix } from './dmatrix';
import { xgboost } from './library';
import { GbdtModel } from './model';

export type GbdtObjective = 'binary:logistic' | 'rank:pairwise' | 'rank:ndcg' | 'rank:map' | 'reg:squarederror' | 'multi:softprob';

/** Booster parameters (XGBoost names in brackets; defaults are XGBoost's unless stated). */
export interface GbdtParams {
  objective: GbdtObjective;
  /** boosting rounds (num_boost_round) */
  rounds: number;
  /** [max_depth] default 6 */
  maxDepth?: number;
  /** [eta] learning rate, default 0.3 */
  eta?: number;
  /** [min_child_weight] default 1 */
  minChildWeight?: number;
  /** [subsample] row share per tree, default 1 */
  subsample?: number;
  /** [colsample_bytree] default 1 */
  colsampleBytree?: number;
  /** [lambda] L2, default 1 */
  lambda?: number;
  /** [alpha] L1, default 0 */
  alpha?: number;
  /** [gamma] min split loss, default 0 */
  gamma?: number;
  /** [scale_pos_weight] binary objectives */
  scalePosWeight?: number;
  /** [num_class] multi:softprob */
  numClass?: number;
  /** [eval_metric] e.g. 'auc', 'ndcg@10', 'logloss'; early stopping watches the last one */
  evalMetric?: string | string[];
  /** [seed] default 0 */
  seed?: number;
  /** [nthread] default min(4, cores) */
  nthread?: number;
  /** [tree_method] default 'hist' */
  treeMethod?: 'hist' | 'approx' | 'exact';
  /** any other XGBoost parameter, passed as is (e.g. lambdarank_pair_method) */
  extra?: Record<string, string | number>;
}

export interface TrainGbdtInput extends DMatrixInput {
  labels: ArrayLike<number>;
  params: GbdtParams;
  /** held-out rows evaluated after every round */
  valid?: DMatrixInput & { labels: ArrayLike<number> };
  /** stop when the validation metric has not improved for this many rounds (needs valid) */
  earlyStoppingRounds?: number;
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

const MAXIMIZE = /^(auc|aucpr|ndcg|map|pre|accuracy)/;

function boosterParams(p: GbdtParams): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['objective', p.objective],
    ['tree_method', p.treeMethod ?? 'hist'],
    ['seed', String(p.seed ?? 0)],
    ['nthread', String(p.nthread ?? Math.min(4, availableParallelism()))],
    ['verbosity', '0'],
  ];
  const named: Array<[string, number | undefined]> = [
    ['max_depth', p.maxDepth],
    ['eta', p.eta],
    ['min_child_weight', p.minChildWeight],
    ['subsample', p.subsample],
    ['colsample_bytree', p.colsampleBytree],
    ['lambda', p.lambda],
    ['alpha', p.alpha],
    ['gamma', p.gamma],
    ['scale_pos_weight', p.scalePosWeight],
    ['num_class', p.numClass],
  ];
  for (const [k, v] of named) if (v !== undefined) out.push([k, String(v)]);
  for (const m of [p.evalMetric ?? []].flat()) out.push(['eval_metric', m]);
  for (const [k, v] of Object.entries(p.extra ?? {})) out.push([k, String(v)]);
  return out;
}

/** Trains gradient-boosted trees with XGBoost's C API, yielding to the event loop after every round
 * (progress, heartbeats, abort). With early stopping the returned model is cut back to its best round. */
export async function trainGbdt(input: TrainGbdtInput): Promise<GbdtModel> {
  const { params, valid, earlyStoppingRounds, progress = silentProgress, signal } = input;
  if (!(Number.isInteger(params.rounds) && params.rounds > 0))
    throw new CfmError('CFM_E_CONFIG', `rounds must be a positive integer, got ${params.rounds}`, { field: 'params.rounds' });
  if (params.objective.startsWith('rank:') && !input.groups)
    throw new CfmError('CFM_E_CONFIG', `objective ${params.objective} needs groups (query group sizes)`, { field: 'groups' });
  if (earlyStoppingRounds !== undefined && !valid)
    throw new CfmError('CFM_E_CONFIG', 'earlyStoppingRounds needs a valid set', { field: 'earlyStoppingRounds' });
  if (valid && valid.cols !== input.cols)
    throw new CfmError('CFM_E_CONFIG', `valid has ${valid.cols} cols, train has ${input.cols}`, { field: 'valid.cols' });
  const lib = xgboost();
  const dtrain = createDMatrix(input);
  const dvalid = valid ? createDMatrix(valid) : undefined;
  const out: unknown[] = [null];
  let booster: unknown;
  try {
    lib.call('XGBoosterCreate', dvalid ? [dtrain, dvalid] : [dtrain], dvalid ? 2 : 1, out);
    booster = out[0];
    for (const [k, v] of boosterParams(params)) lib.call('XGBoosterSetParam', booster, k, v);
    const history: Array<{ round: number; valid: number }> = [];
    let best = -1;
    let bestValue = Number.NaN;
    let metricName = '';
    progress.start('gbdt', params.rounds);
    for (let round = 0; round < params.rounds; round++) {
      if (signal?.aborted) throw new CfmError('CFM_E_STATE', `training aborted at round ${round}`);
      // every round runs on this thread: XGBoost's random engine is thread-local, so rounds on a worker
      // thread would not follow the seed; between rounds the event loop gets a turn instead
      lib.call('XGBoosterUpdateOneIter', booster, round, dtrain);
      await new Promise((resolve) => setImmediate(resolve));
      const info: Record<string, number | string> = {};
      if (dvalid) {
        const text: unknown[] = [null];
        lib.call('XGBoosterEvalOneIter', booster, round, [dvalid], ['valid'], 1, text);
        // "[3]\tvalid-logloss:0.41\tvalid-auc:0.93": the last metric decides
        const m = [...String(text[0]).matchAll(/valid-([^:\s]+):(\S+)/g)].pop();
        if (m) {
          metricName = m[1];
          const value = Number(m[2]);
          history.push({ round, valid: value });
          info[metricName] = value;
          const better = MAXIMIZE.test(metricName) ? value > bestValue : value < bestValue;
          if (best < 0 || better) {
            best = round;
            bestValue = value;
          }
        }
      }
      progress.update({ step: 'gbdt', done: round + 1, total: params.rounds, info });
      if (earlyStoppingRounds !== undefined && best >= 0 && round - best >= earlyStoppingRounds) break;
    }
    progress.finish('gbdt', metricName ? { best_round: best, [metricName]: bestValue } : {});
    if (earlyStoppingRounds !== undefined && best >= 0 && best + 1 < history.length) {
      const sliced: unknown[] = [null];
      lib.call('XGBoosterSlice', booster, 0, best + 1, 1, sliced);
      lib.call('XGBoosterFree', booster);
      booster = sliced[0];
    }
    const model = new GbdtModel(booster, input.cols, { bestIteration: best >= 0 ? best : undefined, history });
    booster = undefined;
    return model;
  } finally {
    if (booster) lib.fn.XGBoosterFree(booster);
    freeDMatrix(dtrain);
    if (dvalid) freeDMatrix(dvalid);
  }
}
