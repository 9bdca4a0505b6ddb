import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CfmError } from '@cfm/core';

/** A parsed storage location: a local path or an S3 bucket + key (no leading slash; may be '' for the bucket root). */
export type Location = { scheme: 'file'; path: string } | { scheme: 's3'; bucket: string; key: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `file:///abs/path`, a plain path (relative paths resolve against the working directory) or
 * `s3://bucket/prefix`. Any other scheme is refused.
 */
export function parseUri(uri: string): Location {
  if (typeof uri !== 'string' || uri === '') throw new CfmError('CFM_E_CONFIG', 'empty storage URI', { field: 'uri' });
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!BUCKET.test(bucket)) throw new CfmError('CFM_E_CONFIG', `invalid bucket name "${bucket}" in ${uri}`, { field: 'uri' });
    if (key.split('/').some((p) => p === '.' || p === '..'))
      throw new CfmError('CFM_E_PATH_ESCAPE', `"." or ".." in the key of ${uri}`, { field: 'uri' });
    return { scheme: 's3', bucket, key };
  }
  if (uri.startsWith('file:')) {
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch (e) {
      throw new CfmError('CFM_E_CONFIG', `invalid file URI ${uri}: ${(e as Error).message}`, { field: 'uri' });
    }
    return { scheme: 'file', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri))
    throw new CfmError('CFM_E_CONFIG', `unsupported storage URI ${uri} (file:// or s3://)`, { field: 'uri' });
  return { scheme: 'file', path: resolve(uri) };
}

/** The canonical URI of a location (`file:///abs/path` or `s3://bucket/key`). */
export function formatUri(loc: Location): string {
  if (loc.scheme === 's3') return `s3://${loc.bucket}/${loc.key}`;
  return pathToFileURL(loc.path).href;
}

/** A plain path or URI as a canonical URI: `toUri('/data/x')` is `file:///data/x`. */
export function toUri(pathOrUri: string): string {
  return formatUri(parseUri(pathOrUri));
}

/** `base` + relative parts joined with '/' (`joinUri('s3://b/runs', 'a', 'x.json')` is `s3://b/runs/a/x.json`). */
export function joinUri(base: string, ...parts: string[]): string {
  const rel = parts.flatMap((p) => p.split('/')).filter((p) => p !== '' && p !== '.');
  if (rel.includes('..') || parts.some((p) => isAbsolute(p)))
    throw new CfmError('CFM_E_PATH_ESCAPE', `joinUri: "${parts.join('/')}" is not relative`, { field: 'uri' });
  const loc = parseUri(base);
  if (loc.scheme === 's3') return formatUri({ ...loc, key: [loc.key.replace(/\/+$/, ''), ...rel].filter((p) => p !== '').join('/') });
  return formatUri({ scheme: 'file', path: resolve(loc.path, ...rel) });
}

export function isS3Uri(uri: string): boolean {
  return uri.startsWith('s3://');
}

/** the local path of a file:// URI or plain path; an s3:// URI is refused (use stageLocal / get). */
export function localPath(uri: string): string {
  const loc = parseUri(uri);
  if (loc.scheme !== 'file')
    throw new CfmError('CFM_E_CONFIG', `${uri} is not a local path (stage it with stageLocal or get)`, { field: 'uri' });
  return loc.path;
}

/** a key as a folder prefix: '' stays '' (bucket root), otherwise it ends with one '/' */
export function folderPrefix(key: string): string {
  const k = key.replace(/\/+$/, '');
  return k === '' ? '' : `${k}/`;
}
