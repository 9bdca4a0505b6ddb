import { CfmError } from '@cfm/core';
import type { DatasetAdapter } from './adapter';
import { movielens1m } from './adapters/movielens';
import { s3recAdapters } from './adapters/s3rec';
import { amazonGrocery, bert4recBeauty, movielens100k, taobao } from './adapters/simple';
import { coveo, diginetica } from './adapters/sessions';

/** Every adapter, by name (names follow the shared dataset folders). */
export const adapters: DatasetAdapter[] = [
  ...s3recAdapters,
  bert4recBeauty,
  movielens1m,
  movielens100k,
  amazonGrocery,
  taobao,
  diginetica,
  coveo,
];

export function getAdapter(name: string): DatasetAdapter {
  const a = adapters.find((x) => x.name === name);
  if (!a)
    throw new CfmError('CFM_E_DATASET', `unknown dataset "${name}"; known: ${adapters.map((x) => x.name).join(', ')}, or path:<dir>`, {
      field: 'dataset',
    });
  return a;
}
