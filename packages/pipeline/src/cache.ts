import { configHash } from '@cfm/core';
import type { Workspace } from './workspace';

export { writeFileAtomic } from './files';

export interface CacheEntry<O> {
  step: string;
  key: string;
  input: unknown;
  output: O;
  seconds: number;
  finishedAt: string;
}

/** Where a step's cached output lives: <workDir>/cache/<step>/<key>.json, key = hash of its inputs. */
export function cacheFile(ws: Workspace, step: string, input: unknown): { file: string; key: string } {
  const key = configHash({ step, input });
  return { file: ws.at('cache', step, `${key}.json`), key };
}

/** Runs `run` unless an earlier run with the same inputs left its output and every reference it names still
 * exists. Returns the output with `cached` telling which happened. */
export async function cachedStep<O extends object>(
  ws: Workspace,
  step: string,
  input: unknown,
  run: () => Promise<O>,
  refs: (out: O) => string[] = () => [],
): Promise<O & { cached: boolean }> {
  const { file, key } = cacheFile(ws, step, input);
  const entry = await ws.readJson<CacheEntry<O>>(file);
  if (entry && (await Promise.all(refs(entry.output).map((r) => ws.exists(r)))).every(Boolean)) return { ...entry.output, cached: true };
  const t0 = Date.now();
  const output = await run();
  await ws.writeJson(file, {
    step,
    key,
    input,
    output,
    seconds: (Date.now() - t0) / 1000,
    finishedAt: new Date().toISOString(),
  } satisfies CacheEntry<O>);
  return { ...output, cached: false };
}
