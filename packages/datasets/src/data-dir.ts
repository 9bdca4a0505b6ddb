import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CfmError, runtimeOptions } from '@cfm/core';

/** The repository root: the nearest parent with an npm-workspaces package.json. */
export function repoRoot(from = __dirname): string {
  for (let d = from; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).workspaces) return d;
    if (dirname(d) === d) return process.cwd();
  }
}

/** The datasets directory: `explicit`, else CFM_DATA_DIR, else ../shared/datasets relative to the repo root. */
export function resolveDataDir(explicit?: string): string {
  const dir = resolve(explicit ?? runtimeOptions().CFM_DATA_DIR ?? join(repoRoot(), '..', 'shared', 'datasets'));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CfmError(
      'CFM_E_DATASET',
      `data directory ${dir} not found: set CFM_DATA_DIR to the folder holding the datasets (e.g. ../shared/datasets)`,
      { field: 'CFM_DATA_DIR' },
    );
  return realpathSync(dir);
}

/** Resolve a path under the data directory, refusing one that escapes it (.., absolute elsewhere, symlinks out). */
export function resolveInside(dataDir: string, rel: string): string {
  const target = isAbsolute(rel) ? resolve(rel) : resolve(dataDir, rel);
  const real = existsSync(target) ? realpathSync(target) : target;
  const r = relative(dataDir, real);
  if (r.startsWith('..') || isAbsolute(r))
    throw new CfmError('CFM_E_PATH_ESCAPE', `dataset path "${rel}" resolves outside the data directory ${dataDir}`, { file: rel });
  if (!existsSync(real)) throw new CfmError('CFM_E_DATASET', `dataset path not found under ${dataDir}`, { file: rel });
  return real;
}
