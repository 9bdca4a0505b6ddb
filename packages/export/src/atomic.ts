import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

let counter = 0;

/** A temp path beside `target` (same directory, so the final rename is atomic on one filesystem). */
export function tempPathFor(target: string, tag = 'tmp'): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.${tag}-${process.pid}-${Date.now()}-${counter++}`);
}

/** Write through a temp file or directory, then rename it to `target`. A throw leaves `target`
 * as it was (old version or absent) and removes the temp. A directory target that already exists
 * is moved aside first (rename(2) cannot replace a non-empty directory), then deleted. */
export async function writeAtomic<T>(target: string, write: (tmpPath: string) => Promise<T>): Promise<T> {
  const abs = resolve(target);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = tempPathFor(abs);
  let result: T;
  try {
    result = await write(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    const old = tempPathFor(abs, 'old');
    renameSync(abs, old);
    renameSync(tmp, abs);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, abs);
  }
  return result;
}
