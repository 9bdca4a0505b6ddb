/** Customer labels for the UMAP map: the users table of the prepared data the model was trained on.
 * @cfm/data stores it as users.json beside the prepared manifest (manifest.hasUsers), the file
 * loadPrepared(dir).userLabels reads; the report reads only the manifest and that file. */
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { readManifest } from '@cfm/data';
import { readJson } from './layout';

export type UserLabels = Record<string, Record<string, string | number>>;

/** Where the prepared data is: run.json's preparedDir as written, or prepared/<hash> of the workDir
 * two levels above the model folder (when the workDir was moved). */
export function findPreparedDir(runDir: string, preparedDir: string | undefined): string | undefined {
  if (!preparedDir) return undefined;
  const candidates = isAbsolute(preparedDir) ? [preparedDir] : [resolve(runDir, preparedDir), resolve(preparedDir)];
  candidates.push(join(runDir, '..', '..', 'prepared', basename(preparedDir)));
  return candidates.find((c) => existsSync(join(c, 'manifest.json')));
}

/** The prepared data's user labels, or why there are none (a sentence for the report). */
export async function preparedUserLabels(
  preparedDir: string | undefined,
  written: string | undefined,
): Promise<{ labels?: UserLabels; why?: string }> {
  if (!written) return { why: 'run.json names no preparedDir' };
  if (!preparedDir) return { why: `the prepared data ${written} is not there any more` };
  const manifest = await readManifest(preparedDir);
  if (!manifest.hasUsers) return { why: `the prepared data has no users table (${join(preparedDir, 'manifest.json')}: hasUsers false)` };
  const labels = readJson<UserLabels>(join(preparedDir, 'users.json'));
  return labels ? { labels } : { why: `${join(preparedDir, 'users.json')} is missing` };
}

/** The label to colour by: `wanted` when given, else the first field with 2..12 distinct values among `ids`. */
export function pickLabel(labels: UserLabels, ids: string[], wanted?: string): string | undefined {
  if (wanted) return wanted;
  const fields = new Map<string, Set<string>>();
  for (const id of ids)
    for (const [k, v] of Object.entries(labels[id] ?? {})) {
      if (!fields.has(k)) fields.set(k, new Set());
      fields.get(k)!.add(String(v));
    }
  for (const [k, values] of fields) if (values.size >= 2 && values.size <= 12) return k;
  return undefined;
}
