import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configHash } from '@cfm/core';

/** Writes a file atomically (temp file + rename), so a crash never leaves half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export interface CacheEntry<O> {
  step: string;
  key: string;
  input: unknown;
  output: O;
  seconds: number;
  finishedAt: string;
}

/** Where a step's cached output lives: <workDir>/cache/<step>/<key>.json, key = hash of its inputs. */
export function cacheFile(workDir: string, step: string, input: unknown): { file: string; key: string } {
  const key = configHash({ step, input });
  return { file: join(workDir, 'cache', step, `${key}.json`), key };
}

/** Runs `run` unless an earlier run with the same inputs left its output and every path it names
 * still exists. Returns the output with `cached` telling which happened. */
export async function cachedStep<O extends object>(
  workDir: string,
  step: string,
  input: unknown,
  run: () => Promise<O>,
  paths: (out: O) => string[] = () => [],
): Promise<O & { cached: boolean }> {
  const { file, key } = cacheFile(workDir, step, input);
  if (existsSync(file)) {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry<O>;
    if (paths(entry.output).every((p) => existsSync(p))) return { ...entry.output, cached: true };
  }
  const t0 = Date.now();
  const output = await run();
  const entry: CacheEntry<O> = { step, key, input, output, seconds: (Date.now() - t0) / 1000, finishedAt: new Date().toISOString() };
  writeFileAtomic(file, JSON.stringify(entry, null, 1));
  return { ...output, cached: false };
}
