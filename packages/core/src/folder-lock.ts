/** One writer per output folder: `<dir>.lock` is created with O_EXCL and holds the owner (pid, host); the owner
 * touches it every few seconds. A second writer waits for it (or fails at once with `wait: false`); a lock whose
 * owner died (same host, pid gone) or that nobody touched for `staleMs` is taken over. */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { CfmError } from './errors';

export interface FolderLockOptions {
  /** wait for the other writer (default true); false: fail at once with CFM_E_STATE */
  wait?: boolean;
  /** give up waiting after this long (default 24 h) */
  timeoutMs?: number;
  /** a lock untouched this long is stale (default 60 s; the owner touches it every staleMs / 6) */
  staleMs?: number;
  /** called once when the folder is busy and we wait */
  onWait?: (owner: LockOwner) => void;
  /** checked while waiting */
  signal?: AbortSignal;
}

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  what?: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string, owner: LockOwner): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, JSON.stringify(owner));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CfmError('CFM_E_FILE', `cannot create the folder lock: ${(e as Error).message}`, { file });
  }
}

function stale(file: string, staleMs: number): boolean {
  const owner = readOwner(file);
  if (owner && owner.host === hostname() && !alive(owner.pid)) return true;
  try {
    return Date.now() - statSync(file).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/** Holds `<dir>.lock` while `fn` runs. */
export async function withFolderLock<T>(dir: string, what: string, fn: () => Promise<T>, o: FolderLockOptions = {}): Promise<T> {
  const file = `${dir.replace(/\/+$/, '')}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const staleMs = o.staleMs ?? 60_000;
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  const t0 = Date.now();
  let told = false;
  while (!tryCreate(file, me)) {
    if (stale(file, staleMs)) {
      rmSync(file, { force: true });
      continue;
    }
    const owner = readOwner(file) ?? { pid: 0, host: '?', since: '?' };
    if (o.wait === false) {
      throw new CfmError(
        'CFM_E_STATE',
        `another writer holds this folder (${owner.what ?? 'a run'}, pid ${owner.pid} on ${owner.host} since ${owner.since}); wait for it or remove ${file} if that process is gone`,
        { file: dir },
      );
    }
    if (!told) {
      told = true;
      o.onWait?.(owner);
    }
    if (o.signal?.aborted) throw new CfmError('CFM_E_STATE', `cancelled while waiting for ${file}`, { file: dir }, true);
    if (Date.now() - t0 > (o.timeoutMs ?? 86_400_000))
      throw new CfmError(
        'CFM_E_STATE',
        `timed out waiting for the folder lock held by pid ${owner.pid} on ${owner.host}`,
        { file: dir },
        true,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
  const touch = setInterval(
    () => {
      try {
        const now = new Date();
        utimesSync(file, now, now);
      } catch {
        // the lock was taken over as stale: the next writer will see our files as leftovers
      }
    },
    Math.max(1000, staleMs / 6),
  );
  touch.unref();
  try {
    return await fn();
  } finally {
    clearInterval(touch);
    if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
  }
}

/** the writer pid in a temp name this codebase uses: `x.tmp-<pid>`, `.x.tmp-<pid>-<ms>-<n>`, `.x.old-<pid>-…`, `x.<pid>.<ms>.tmp` */
function tempOwner(name: string): number | undefined {
  const m = /\.(?:tmp|old)-(\d+)(?:-\d+-\d+)?$/.exec(name) ?? /\.(\d+)\.\d+\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Removes the temp files and folders of writers that died in `dir` (their pid is gone); call it holding the folder's
 * lock. Returns what was removed. */
export function removeLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const gone = names.filter((n) => {
    const pid = tempOwner(n);
    return pid !== undefined && pid !== process.pid && !alive(pid);
  });
  for (const n of gone) rmSync(join(dir, n), { recursive: true, force: true });
  return gone;
}
