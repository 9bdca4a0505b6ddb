import { existsSync, renameSync, rmSync } from 'node:fs';
import { extname } from 'node:path';
import koffi from 'koffi';
import { CfmError } from '@cfm/core';
import { withDMatrix } from './dmatrix';
import { xgboost } from './library';

// frees boosters that were never disposed (a backstop; call dispose())
const boosters = new FinalizationRegistry<{ handle: unknown; freed: boolean }>((h) => {
  if (!h.freed) xgboost().fn.XGBoosterFree(h.handle);
});

/** A trained booster. Predictions are probabilities for binary:logistic, scores for ranking, values for regression
 * ([rows, numClass] for multi:softprob). */
export class GbdtModel {
  private readonly ref: { handle: unknown; freed: boolean };

  constructor(
    handle: unknown,
    readonly cols: number,
    readonly info: { bestIteration?: number; history?: Array<{ round: number; valid: number }> } = {},
  ) {
    this.ref = { handle, freed: false };
    boosters.register(this, this.ref, this.ref);
  }

  private get handle(): unknown {
    if (this.ref.freed) throw new CfmError('CFM_E_STATE', 'GbdtModel used after dispose()');
    return this.ref.handle;
  }

  /** boosting rounds in the model (after early stopping: best iteration + 1) */
  get rounds(): number {
    const out = [0];
    xgboost().call('XGBoosterBoostedRounds', this.handle, out);
    return out[0];
  }

  /** predictions for a row-major [rows, cols] matrix (NaN = missing) */
  predict(features: Float32Array, rows: number): Float32Array {
    if (features.length !== rows * this.cols) {
      throw new CfmError('CFM_E_CONFIG', `features has ${features.length} values, the model expects rows*cols = ${rows}*${this.cols}`, {
        field: 'features',
      });
    }
    const lib = xgboost();
    return withDMatrix({ features, rows, cols: this.cols }, (dm) => {
      const len = [0];
      const ptr: unknown[] = [null];
      lib.call('XGBoosterPredict', this.handle, dm, 0, 0, 0, len, ptr);
      // decode copies out of XGBoost's buffer, which the next call reuses
      return Float32Array.from(koffi.decode(ptr[0], 'float', Number(len[0])) as ArrayLike<number>);
    });
  }

  getAttr(key: string): string | undefined {
    const out: unknown[] = [null];
    const ok = [0];
    xgboost().call('XGBoosterGetAttr', this.handle, key, out, ok);
    return ok[0] ? String(out[0]) : undefined;
  }

  /** Writes the model atomically (temp file + rename). Format from the extension: .json (default) or .ubj. */
  save(path: string): void {
    const ext = extname(path) === '.ubj' ? '.ubj' : '.json';
    const tmp = `${path}.tmp-${process.pid}${ext}`;
    const lib = xgboost();
    lib.call('XGBoosterSetAttr', this.handle, 'cfm_cols', String(this.cols));
    if (this.info.bestIteration !== undefined)
      lib.call('XGBoosterSetAttr', this.handle, 'cfm_best_iteration', String(this.info.bestIteration));
    try {
      lib.call('XGBoosterSaveModel', this.handle, tmp);
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  dispose(): void {
    if (this.ref.freed) return;
    this.ref.freed = true;
    boosters.unregister(this.ref);
    xgboost().call('XGBoosterFree', this.ref.handle);
  }
}

/** Loads a model written by GbdtModel.save (or any XGBoost JSON / UBJSON model). */
export function loadGbdt(path: string): GbdtModel {
  if (!existsSync(path)) throw new CfmError('CFM_E_FILE', 'model file not found', { file: path });
  const lib = xgboost();
  const out: unknown[] = [null];
  lib.call('XGBoosterCreate', [], 0, out);
  try {
    lib.call('XGBoosterLoadModel', out[0], path);
  } catch (e) {
    lib.fn.XGBoosterFree(out[0]);
    throw new CfmError('CFM_E_ARTIFACT', (e as Error).message, { file: path });
  }
  const cols = [0];
  lib.call('XGBoosterGetNumFeature', out[0], cols);
  const model = new GbdtModel(out[0], Number(cols[0]));
  const best = model.getAttr('cfm_best_iteration');
  if (best !== undefined) model.info.bestIteration = Number(best);
  return model;
}
