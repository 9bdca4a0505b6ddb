import { CfmError } from '@cfm/core';
import type { DatasetAdapter } from './adapter';
import { movielens1m } from './adapters/movielens';
import { s3recAdapters } from './adapters/s3rec';

/** Every adapter, by name (names follow the shared dataset folders). */
export const adapters: DatasetAdapter[] = [...s3recAdapters, movielens1m];

export function getAdapter(name: string): DatasetAdapter {
  const a = adapters.find((x) => x.name === name);
  if (!a) throw new CfmError('CFM_E_DATASET', `unknown dataset "${name}"; known: ${adapters.map((x) => x.name).join(', ')}, or path:<dir>`, { field: 'dataset' });
  return a;
}
