import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { canonicalJson, CfmError, isCfmError, sha256 } from '@cfm/core';
import { pool } from './s3-backend';
import type { Storage } from './storage';
import { joinUri, parseUri } from './uri';

/** The object written last by publishFolder: a folder without it is incomplete. */
export const FOLDER_MANIFEST = '.cfm-manifest.json';

export interface FileDigest {
  bytes: number;
  sha256: string;
}

export interface FolderManifest {
  format: 'cfm-folder/1';
  /** sha256 of the canonical JSON of `files`: equal contents, equal hash */
  hash: string;
  /** every file of the folder by '/'-separated relative path */
  files: Record<string, FileDigest>;
  createdAt: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

async function digest(path: string): Promise<FileDigest> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: h.digest('hex') };
}

/** relative '/'-paths of the regular files under `dir`, sorted (the manifest and temp files left out) */
async function localFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = join(d, name);
      const s = await stat(p);
      if (s.isDirectory()) await walk(p);
      else if (s.isFile() && !name.includes('.tmp-')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.filter((p) => p !== FOLDER_MANIFEST).sort();
}

function safeRelative(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

/** parses and checks a manifest's text: its shape, safe relative paths, and that `hash` matches `files` */
export function parseFolderManifest(text: string, uri: string): FolderManifest {
  const file = joinUri(uri, FOLDER_MANIFEST);
  let m: FolderManifest;
  try {
    m = JSON.parse(text) as FolderManifest;
  } catch {
    throw new CfmError('CFM_E_FILE', 'folder manifest is not JSON', { file });
  }
  if (m?.format !== 'cfm-folder/1' || typeof m.files !== 'object' || m.files === null)
    throw new CfmError('CFM_E_FILE', 'not a cfm-folder/1 manifest', { file, field: 'format' });
  for (const [path, d] of Object.entries(m.files)) {
    if (!safeRelative(path) || path === FOLDER_MANIFEST)
      throw new CfmError('CFM_E_PATH_ESCAPE', `manifest lists an unsafe path "${path}"`, { file, field: 'files' });
    if (!Number.isSafeInteger(d?.bytes) || d.bytes < 0 || !HEX64.test(d?.sha256 ?? ''))
      throw new CfmError('CFM_E_FILE', `manifest entry "${path}" has no valid bytes / sha256`, { file, field: 'files' });
  }
  if (m.hash !== sha256(canonicalJson(m.files)))
    throw new CfmError('CFM_E_FILE', 'manifest hash does not match its file list', { file, field: 'hash' });
  return m;
}

/** The manifest of a published folder, checked; CFM_E_FILE "incomplete" when there is none. */
export async function readFolderManifest(storage: Storage, uri: string): Promise<FolderManifest> {
  let text: Buffer;
  try {
    text = await storage.read(joinUri(uri, FOLDER_MANIFEST));
  } catch (e) {
    if (isCfmError(e) && e.code === 'CFM_E_FILE' && /no such (object|file)/.test(e.message)) {
      throw new CfmError('CFM_E_FILE', `incomplete folder: no ${FOLDER_MANIFEST} (not published, or its publish did not finish)`, {
        file: uri,
        field: 'manifest',
      });
    }
    throw e;
  }
  return parseFolderManifest(text.toString('utf8'), uri);
}

/**
 * Uploads every file under `dir` to the folder `uri`, then writes the manifest (sizes + sha256) LAST: readers
 * see the new folder whole or as incomplete. An earlier manifest at `uri` is removed first. Objects under `uri`
 * that the manifest does not list (an older publish's, or another folder published inside this one) are left
 * alone: readers take only what the manifest lists.
 */
export async function publishFolder(storage: Storage, dir: string, uri: string): Promise<FolderManifest> {
  let names: string[];
  try {
    names = await localFiles(dir);
  } catch (e) {
    throw new CfmError('CFM_E_FILE', `cannot read the folder to publish: ${(e as Error).message}`, { file: dir });
  }
  await storage.remove(joinUri(uri, FOLDER_MANIFEST));
  const files: Record<string, FileDigest> = {};
  await pool(storage.s3.concurrency, names, async (name) => {
    const path = join(dir, ...name.split('/'));
    const d = await digest(path);
    const put = await storage.put(joinUri(uri, name), path);
    if (put.size !== d.bytes)
      throw new CfmError('CFM_E_FILE', `changed while publishing (${d.bytes} bytes hashed, ${put.size} uploaded)`, { file: path });
    files[name] = d;
  });
  const sorted = Object.fromEntries(
    Object.keys(files)
      .sort()
      .map((k) => [k, files[k]]),
  );
  const manifest: FolderManifest = {
    format: 'cfm-folder/1',
    hash: sha256(canonicalJson(sorted)),
    files: sorted,
    createdAt: new Date().toISOString(),
  };
  await storage.put(joinUri(uri, FOLDER_MANIFEST), Buffer.from(JSON.stringify(manifest, null, 1)));
  return manifest;
}

async function emptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** downloads the files of `manifest` into a temp folder beside `dir`, verifies each, then renames it to `dir` */
async function fetchVerified(storage: Storage, uri: string, manifest: FolderManifest, dir: string): Promise<void> {
  if (!(await emptyOrMissing(dir))) throw new CfmError('CFM_E_STATE', 'fetchFolder needs a missing or empty folder', { file: dir });
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(tmp, { recursive: true });
  try {
    await pool(storage.s3.concurrency, Object.keys(manifest.files), async (name) => {
      const want = manifest.files[name];
      const object = joinUri(uri, name);
      let got;
      try {
        got = await storage.get(object, join(tmp, ...name.split('/')));
      } catch (e) {
        if (isCfmError(e) && /no such (object|file)/.test(e.message))
          throw new CfmError('CFM_E_FILE', 'listed in the folder manifest but missing', { file: object });
        throw e;
      }
      if (got.size !== want.bytes)
        throw new CfmError('CFM_E_FILE', `failed verification: ${got.size} bytes, the manifest says ${want.bytes}`, {
          file: object,
          field: 'bytes',
        });
      if (got.sha256 !== want.sha256)
        throw new CfmError('CFM_E_FILE', 'failed verification: sha256 differs from the manifest', { file: object, field: 'sha256' });
    });
    await rmdir(dir).catch(() => undefined);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Downloads the published folder `uri` into `dir` (missing or empty) and verifies every file against the manifest:
 * a folder without a manifest, a missing object, or one whose size or sha256 differs is refused (CFM_E_FILE) and
 * `dir` is left as it was. Returns the manifest.
 */
export async function fetchFolder(storage: Storage, uri: string, dir: string): Promise<FolderManifest> {
  const manifest = await readFolderManifest(storage, uri);
  await fetchVerified(storage, uri, manifest, dir);
  return manifest;
}

/** every file of the manifest present in `dir` with its size (what a finished staging left) */
async function staged(dir: string, manifest: FolderManifest): Promise<boolean> {
  try {
    for (const [name, d] of Object.entries(manifest.files)) if ((await stat(join(dir, ...name.split('/')))).size !== d.bytes) return false;
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A local path for the folder `uri`: a file:// folder as it is (no copy); an s3:// folder fetched and verified into
 * `<cacheDir>/<manifest hash>`, reused while the published manifest is unchanged.
 */
export async function stageLocal(storage: Storage, uri: string, cacheDir: string): Promise<string> {
  const loc = parseUri(uri);
  if (loc.scheme === 'file') {
    if (
      !(await stat(loc.path).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      throw new CfmError('CFM_E_FILE', 'no such folder', { file: loc.path });
    return loc.path;
  }
  const manifest = await readFolderManifest(storage, uri);
  const dir = join(cacheDir, manifest.hash.slice(0, 32));
  if (await staged(dir, manifest)) return dir;
  await mkdir(cacheDir, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  try {
    await fetchVerified(storage, uri, manifest, dir);
  } catch (e) {
    // another process staged the same folder first
    if (await staged(dir, manifest)) return dir;
    throw e;
  }
  return dir;
}

/**
 * A local path for the single object `uri`: a file:// path as it is; an s3:// object downloaded to
 * `<cacheDir>/objects/<hash of uri, etag, size>/<name>`, reused while its etag and size are unchanged.
 */
export async function stageFile(storage: Storage, uri: string, cacheDir: string): Promise<string> {
  const loc = parseUri(uri);
  if (loc.scheme === 'file') {
    await storage.stat(uri);
    return loc.path;
  }
  const s = await storage.stat(uri);
  const path = join(cacheDir, 'objects', sha256(`${uri}\0${s.etag}\0${s.size}`).slice(0, 32), basename(loc.key));
  if (
    await stat(path).then(
      (f) => f.size === s.size,
      () => false,
    )
  )
    return path;
  const got = await storage.get(uri, path);
  if (got.etag !== s.etag || got.size !== s.size) {
    await rm(path, { force: true });
    throw new CfmError('CFM_E_FILE', 'changed while staging (etag or size differs): try again', { file: uri, field: 'etag' }, true);
  }
  return path;
}
