import { CfmError } from '@cfm/core';
import { xgboost } from './library';

/** A dense feature matrix in XGBoost's memory. NaN features are missing values (XGBoost learns a default direction). */
export interface DMatrixInput {
  /** row-major [rows, cols] */
  features: Float32Array;
  rows: number;
  cols: number;
  /** [rows] targets: 0/1 for binary, relevance grades for ranking, reals for regression */
  labels?: ArrayLike<number>;
  /** [rows] instance weights (per group for ranking objectives: [groups]) */
  weights?: ArrayLike<number>;
  /** sizes of consecutive query groups (ranking objectives); they must sum to rows */
  groups?: ArrayLike<number>;
}

/** Sizes of consecutive runs of equal group ids, e.g. [7, 7, 9, 9, 9] → [2, 3]. */
export function groupSizes(groupIds: ArrayLike<number | string>): Uint32Array {
  const sizes: number[] = [];
  for (let i = 0; i < groupIds.length; i++) {
    if (i === 0 || groupIds[i] !== groupIds[i - 1]) sizes.push(0);
    sizes[sizes.length - 1]++;
  }
  return Uint32Array.from(sizes);
}

function checkFinite(values: ArrayLike<number>, field: string, expected: number): Float32Array {
  if (values.length !== expected)
    throw new CfmError('CFM_E_CONFIG', `${field} has ${values.length} values, expected ${expected}`, { field });
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new CfmError('CFM_E_ROW_SCHEMA', `${field} is ${values[i]}, expected a finite number`, { row: i, field });
    out[i] = values[i];
  }
  return out;
}

/** Creates a DMatrix handle; the caller frees it with freeDMatrix. */
export function createDMatrix(input: DMatrixInput): unknown {
  const { features, rows, cols, labels, weights, groups } = input;
  if (!(rows > 0 && cols > 0 && Number.isInteger(rows) && Number.isInteger(cols))) {
    throw new CfmError('CFM_E_CONFIG', `rows and cols must be positive integers, got ${rows} x ${cols}`, { field: 'rows' });
  }
  if (features.length !== rows * cols) {
    throw new CfmError('CFM_E_CONFIG', `features has ${features.length} values, expected rows*cols = ${rows}*${cols}`, {
      field: 'features',
    });
  }
  const lib = xgboost();
  const out: unknown[] = [null];
  lib.call('XGDMatrixCreateFromMat', features, rows, cols, Number.NaN, out);
  const handle = out[0];
  try {
    if (labels) lib.call('XGDMatrixSetFloatInfo', handle, 'label', checkFinite(labels, 'labels', rows), rows);
    let groupCount = 0;
    if (groups) {
      const sizes = Uint32Array.from(groups as ArrayLike<number>);
      const total = sizes.reduce((s, x) => s + x, 0);
      if (total !== rows) throw new CfmError('CFM_E_CONFIG', `group sizes sum to ${total}, expected rows = ${rows}`, { field: 'groups' });
      lib.call('XGDMatrixSetUIntInfo', handle, 'group', sizes, sizes.length);
      groupCount = sizes.length;
    }
    if (weights) {
      const n = groups ? groupCount : rows;
      lib.call('XGDMatrixSetFloatInfo', handle, 'weight', checkFinite(weights, 'weights', n), n);
    }
  } catch (e) {
    freeDMatrix(handle);
    throw e;
  }
  return handle;
}

export function freeDMatrix(handle: unknown): void {
  if (handle) xgboost().call('XGDMatrixFree', handle);
}

/** Runs fn with a DMatrix and frees it afterwards. */
export function withDMatrix<T>(input: DMatrixInput, fn: (handle: unknown) => T): T {
  const handle = createDMatrix(input);
  try {
    return fn(handle);
  } finally {
    freeDMatrix(handle);
  }
}
