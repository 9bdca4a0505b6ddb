/** A run's place (workDir) as a local folder or an object-store URI (@cfm/storage). Activities address everything by
 * reference (an absolute path, or an s3:// URI) and each worker resolves references with its own configuration:
 * a reference it must read is staged into its scratch folder (verified against the folder's manifest), what it
 * builds goes into a scratch folder and is published when complete. For a local workDir every operation is the
 * file system's own (no copies), as the embedded default always was. */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { configHash, runtimeOptions } from '@cfm/core';
import { defaultStorage, fetchFolder, isS3Uri, joinUri, publishFolder, stageFile, stageLocal, type Storage } from '@cfm/storage';
import { writeFileAtomic } from './files';

export interface Workspace {
  /** the workDir: an absolute path or an s3:// URI */
  readonly root: string;
  /** true when the workDir is in an object store */
  readonly remote: boolean;
  /** the reference of `rel` under the workDir */
  at(...rel: string[]): string;
  /** a local folder holding the published folder `ref` (a local reference: itself) */
  stage(ref: string): Promise<string>;
  /** a local file holding the object `ref` (a local reference: itself) */
  stageFile(ref: string): Promise<string>;
  /** where this worker builds or works on `ref` locally (a local reference: itself; remote: a scratch folder) */
  local(ref: string): string;
  /** publishes the local folder of `ref` as a whole (manifest last); a local reference is already in place */
  publish(ref: string): Promise<void>;
  /** publishes one file of the local folder of `folderRef` (e.g. a model folder's eval.json) */
  publishFile(folderRef: string, name: string): Promise<void>;
  /** fetches the published folder `ref` into the local folder of `ref` (when missing there); false when not published */
  fetch(ref: string): Promise<boolean>;
  /** fetches one file of the folder `folderRef` into its local folder, when it exists; false when it does not */
  fetchFile(folderRef: string, name: string): Promise<boolean>;
  readJson<T>(ref: string): Promise<T | undefined>;
  writeJson(ref: string, value: unknown): Promise<void>;
  exists(ref: string): Promise<boolean>;
  /** writes `value` only when nothing is at `ref`; false when something was (O_EXCL / S3 conditional put) */
  createOnce(ref: string, value: unknown): Promise<boolean>;
  /** names directly under the folder `ref` (files and folders) */
  names(ref: string): Promise<string[]>;
  appendLedger(entry: Record<string, unknown>): Promise<void>;
  readLedger(): Promise<Array<Record<string, unknown>>>;
}

/** this worker's scratch folder: CFM_SCRATCH_DIR, default <tmp>/cfm-scratch */
export function scratchDir(): string {
  return resolve(runtimeOptions().CFM_SCRATCH_DIR);
}

export function openWorkspace(root: string, o: { storage?: Storage; scratch?: string } = {}): Workspace {
  return isS3Uri(root) ? remoteWorkspace(root, o.storage ?? defaultStorage(), o.scratch ?? scratchDir()) : localWorkspace(resolve(root));
}

function localWorkspace(root: string): Workspace {
  return {
    root,
    remote: false,
    at: (...rel) => join(root, ...rel),
    stage: async (ref) => ref,
    stageFile: async (ref) => ref,
    local: (ref) => ref,
    publish: async () => undefined,
    publishFile: async () => undefined,
    fetch: async (ref) => existsSync(ref),
    fetchFile: async (ref, name) => existsSync(join(ref, name)),
    async readJson<T>(ref: string) {
      return existsSync(ref) ? (JSON.parse(readFileSync(ref, 'utf8')) as T) : undefined;
    },
    writeJson: async (ref, value) => writeFileAtomic(ref, JSON.stringify(value, null, 1) + '\n'),
    exists: async (ref) => existsSync(ref),
    async createOnce(ref, value) {
      mkdirSync(dirname(ref), { recursive: true });
      return defaultStorage().putIfAbsent(ref, Buffer.from(JSON.stringify(value)));
    },
    names: async (ref) => (existsSync(ref) ? readdirSync(ref) : []),
    async appendLedger(entry) {
      mkdirSync(root, { recursive: true });
      appendFileSync(join(root, 'ledger.jsonl'), JSON.stringify(entry) + '\n');
    },
    async readLedger() {
      const f = join(root, 'ledger.jsonl');
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
    },
  };
}

function remoteWorkspace(root: string, storage: Storage, scratch: string): Workspace {
  const base = join(scratch, configHash(root).slice(0, 12));
  const cache = join(scratch, 'staged');
  const rel = (ref: string) => {
    if (!ref.startsWith(root)) throw new Error(`${ref} is not under the run's workDir ${root}`);
    return ref.slice(root.length).replace(/^\/+/, '');
  };
  const local = (ref: string) => join(base, 'work', rel(ref));
  return {
    root,
    remote: true,
    at: (...r) => joinUri(root, ...r),
    stage: (ref) => stageLocal(ref, cache, storage),
    stageFile: (ref) => stageFile(ref, cache, storage),
    local,
    async publish(ref) {
      await publishFolder(local(ref), ref, storage);
    },
    async publishFile(folderRef, name) {
      await storage.put(joinUri(folderRef, name), join(local(folderRef), name));
    },
    async fetch(ref) {
      const dir = local(ref);
      if (existsSync(dir) && readdirSync(dir).length) return true;
      try {
        rmSync(dir, { recursive: true, force: true });
        await fetchFolder(ref, dir, storage);
        return true;
      } catch {
        return false;
      }
    },
    async fetchFile(folderRef, name) {
      const uri = joinUri(folderRef, name);
      if (!(await storage.exists(uri))) return false;
      await storage.get(uri, join(local(folderRef), name));
      return true;
    },
    async readJson<T>(ref: string) {
      return (await storage.exists(ref)) ? (JSON.parse((await storage.read(ref)).toString('utf8')) as T) : undefined;
    },
    async writeJson(ref, value) {
      await storage.put(ref, Buffer.from(JSON.stringify(value, null, 1) + '\n'));
    },
    exists: (ref) => storage.exists(ref),
    createOnce: (ref, value) => storage.putIfAbsent(ref, Buffer.from(JSON.stringify(value))),
    async names(ref) {
      const prefix = ref.endsWith('/') ? ref : `${ref}/`;
      return [...new Set((await storage.list(prefix)).map((e) => e.path.split('/')[0]))].sort();
    },
    async appendLedger(entry) {
      // an object store has no append: one object per entry, ordered by time
      await storage.put(
        joinUri(root, 'ledger', `${entry.at}-${entry.pid}-${Math.random().toString(36).slice(2, 8)}.json`),
        Buffer.from(JSON.stringify(entry)),
      );
    },
    async readLedger() {
      const entries = await storage.list(joinUri(root, 'ledger') + '/');
      const out = await Promise.all(
        entries.map(async (e) => JSON.parse((await storage.read(e.uri)).toString('utf8')) as Record<string, unknown>),
      );
      return out.sort((a, b) => String(a.at).localeCompare(String(b.at)));
    },
  };
}

/** the name of a reference's last part (a path or a URI) */
export const refName = (ref: string) => basename(ref.replace(/\/+$/, ''));
