import type { S3Client } from '@aws-sdk/client-s3';
import { CfmError } from '@cfm/core';
import { s3SettingsFromEnv, type S3Settings } from './config';
import { fileBackend } from './file-backend';
import { s3Backend, s3Client, type S3Loc } from './s3-backend';
import type { Backend, Fetched, ListEntry, ObjectStat } from './types';
import { formatUri, joinUri, parseUri } from './uri';

type Resolved = { backend: Backend<string>; loc: string } | { backend: Backend<S3Loc>; loc: S3Loc };

/**
 * Objects addressed by URI: `file:///abs/path` (or a plain path) and `s3://bucket/key`. One instance holds one
 * S3 configuration (default: this process's environment, see s3SettingsFromEnv) and a lazily made client.
 */
export class Storage {
  readonly s3: S3Settings;
  #client?: S3Client;
  #s3?: Backend<S3Loc>;

  constructor(settings: S3Settings = s3SettingsFromEnv()) {
    this.s3 = settings;
  }

  /** the S3 client of this configuration (made on first use) */
  get client(): S3Client {
    this.#client ??= s3Client(this.s3);
    return this.#client;
  }

  #resolve(uri: string): Resolved {
    const loc = parseUri(uri);
    if (loc.scheme === 'file') return { backend: fileBackend, loc: loc.path };
    this.#s3 ??= s3Backend(this.s3, this.client);
    return { backend: this.#s3, loc: { bucket: loc.bucket, key: loc.key } };
  }

  #object(uri: string): Resolved {
    const r = this.#resolve(uri);
    if (typeof r.loc !== 'string' && (r.loc.key === '' || r.loc.key.endsWith('/'))) {
      throw new CfmError('CFM_E_CONFIG', `${uri} names a folder, not an object`, { field: 'uri' });
    }
    return r;
  }

  /** writes a local file (a string is a path) or bytes to `uri`; large files go up in parts on S3 */
  async put(uri: string, source: string | Uint8Array): Promise<ObjectStat> {
    const r = this.#object(uri);
    return typeof source === 'string'
      ? (r.backend as Backend<unknown>).putFile(r.loc, source)
      : (r.backend as Backend<unknown>).putBytes(r.loc, source);
  }

  /** writes `bytes` to `uri` only when no object is there (atomically: S3 conditional put, O_EXCL for files); false when one was */
  async putIfAbsent(uri: string, bytes: Uint8Array): Promise<boolean> {
    const r = this.#object(uri);
    return (r.backend as Backend<unknown>).putBytesIfAbsent(r.loc, bytes);
  }

  /** downloads `uri` to the local file `file` (temp file + rename), hashing it on the way */
  async get(uri: string, file: string): Promise<Fetched> {
    const r = this.#object(uri);
    return (r.backend as Backend<unknown>).getFile(r.loc, file);
  }

  /** the bytes of `uri` */
  async read(uri: string): Promise<Buffer> {
    const r = this.#object(uri);
    return (r.backend as Backend<unknown>).read(r.loc);
  }

  /** every object under the folder `uri` (recursively), sorted by path */
  async list(uri: string): Promise<ListEntry[]> {
    const r = this.#resolve(uri);
    const entries = await (r.backend as Backend<unknown>).list(r.loc);
    return entries.map((e) => ({ ...e, uri: joinUri(formatUri(parseUri(uri)), e.path) }));
  }

  /** deletes every object under the folder `uri`; returns how many */
  async deletePrefix(uri: string): Promise<number> {
    const r = this.#resolve(uri);
    return (r.backend as Backend<unknown>).deletePrefix(r.loc);
  }

  /** deletes one object (nothing when it is missing) */
  async remove(uri: string): Promise<void> {
    const r = this.#object(uri);
    await (r.backend as Backend<unknown>).remove(r.loc);
  }

  async exists(uri: string): Promise<boolean> {
    const r = this.#object(uri);
    return (await (r.backend as Backend<unknown>).stat(r.loc)) !== undefined;
  }

  /** size and etag of `uri`; CFM_E_FILE when it is missing */
  async stat(uri: string): Promise<ObjectStat> {
    const r = this.#object(uri);
    const s = await (r.backend as Backend<unknown>).stat(r.loc);
    if (!s) throw new CfmError('CFM_E_FILE', 'no such object', { file: uri });
    return s;
  }

  /** closes the S3 client's connections */
  close(): void {
    this.#client?.destroy();
    this.#client = undefined;
    this.#s3 = undefined;
  }
}

let shared: Storage | undefined;

/** This process's Storage, configured from process.env on first use. */
export function defaultStorage(): Storage {
  shared ??= new Storage();
  return shared;
}
