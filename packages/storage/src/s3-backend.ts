import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CfmError } from '@cfm/core';
import type { S3Settings } from './config';
import { copyHashed } from './file-backend';
import type { Backend, Fetched, ListEntry, ObjectStat } from './types';
import { folderPrefix } from './uri';

export interface S3Loc {
  bucket: string;
  key: string;
}

const where = (loc: S3Loc) => `s3://${loc.bucket}/${loc.key}`;
const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** An S3 SDK failure as a CfmError naming the object (and the credentials / endpoint when they are the cause). */
export function s3Error(e: unknown, loc: S3Loc, settings: S3Settings): CfmError {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const file = where(loc);
  if (name === 'NoSuchBucket') return new CfmError('CFM_E_FILE', `no such bucket "${loc.bucket}"`, { file });
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new CfmError('CFM_E_FILE', 'no such object', { file });
  if (
    ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden', 'CredentialsProviderError'].includes(name) ||
    status === 403
  ) {
    return new CfmError('CFM_E_CONFIG', `access refused (${name || status}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`, {
      file,
      field: 'credentials',
    });
  }
  const code = err.code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(code)) {
    return new CfmError('CFM_E_FILE', `cannot reach ${settings.endpoint ?? 'S3'} (${code})`, { file, field: 'CFM_S3_ENDPOINT' }, true);
  }
  if (status !== undefined && status >= 500) return new CfmError('CFM_E_FILE', `S3 server error ${status} (${name})`, { file }, true);
  return new CfmError('CFM_E_FILE', `S3 request failed: ${name ? `${name}: ` : ''}${err.message ?? String(e)}`, { file });
}

/**
 * runs `task` on every item, at most `n` at a time; after a failure no new item starts, and the first failure is
 * thrown once the running ones have settled (so that nothing still writes when the caller cleans up)
 */
export async function pool<T>(n: number, items: readonly T[], task: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const run = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await task(items[i], i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, run));
  if (failed) throw failed.error;
}

export function s3Client(settings: S3Settings): S3Client {
  // the SDK's notice that its releases from 2027 on need Node 22 is printed by every process otherwise (docs/storage.md)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    // S3-compatible servers do not all take the SDK's default CRC checksums: send them only where S3 requires one
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
}

export function s3Backend(settings: S3Settings, client: S3Client = s3Client(settings)): Backend<S3Loc> {
  const call = async <T>(loc: S3Loc, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw s3Error(e, loc, settings);
    }
  };
  const head = async (loc: S3Loc): Promise<ObjectStat | undefined> => {
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      return { size: r.ContentLength ?? 0, etag: unquote(r.ETag), mtime: r.LastModified };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 && (e as Error).name !== 'NoSuchBucket') return undefined;
      throw s3Error(e, loc, settings);
    }
  };
  const multipart = async (loc: S3Loc, file: string, size: number): Promise<ObjectStat> => {
    const { UploadId } = await call(loc, () => client.send(new CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key })));
    const parts = Array.from({ length: Math.ceil(size / settings.partSize) }, (_, i) => i);
    const etags: string[] = [];
    const fh = await open(file, 'r');
    try {
      await pool(settings.concurrency, parts, async (i) => {
        const start = i * settings.partSize;
        const buf = Buffer.alloc(Math.min(settings.partSize, size - start));
        const { bytesRead } = await fh.read(buf, 0, buf.length, start);
        if (bytesRead !== buf.length) throw new CfmError('CFM_E_FILE', `changed while uploading (short read at ${start})`, { file });
        const r = await call(loc, () =>
          client.send(new UploadPartCommand({ Bucket: loc.bucket, Key: loc.key, UploadId, PartNumber: i + 1, Body: buf })),
        );
        etags[i] = r.ETag ?? '';
      });
      const done = await call(loc, () =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: loc.bucket,
            Key: loc.key,
            UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        ),
      );
      return { size, etag: unquote(done.ETag) };
    } catch (e) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId })).catch(() => undefined);
      throw e;
    } finally {
      await fh.close();
    }
  };
  const listAll = async (loc: S3Loc): Promise<Array<Omit<ListEntry, 'uri'>>> => {
    const prefix = folderPrefix(loc.key);
    const out: Array<Omit<ListEntry, 'uri'>> = [];
    let token: string | undefined;
    do {
      const r = await call(loc, () =>
        client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        out.push({ path: o.Key.slice(prefix.length), size: o.Size ?? 0, etag: unquote(o.ETag), mtime: o.LastModified });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  };
  const get = (loc: S3Loc) => call(loc, () => client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key })));

  return {
    async putFile(loc, file) {
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) throw new CfmError('CFM_E_FILE', 'no such file', { file });
      const size = st.size;
      if (size > settings.multipartThreshold) return multipart(loc, file, size);
      const r = await call(loc, () =>
        client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: createReadStream(file), ContentLength: size })),
      );
      return { size, etag: unquote(r.ETag) };
    },
    async putBytes(loc, bytes) {
      const r = await call(loc, () =>
        client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: bytes, ContentLength: bytes.byteLength })),
      );
      return { size: bytes.byteLength, etag: unquote(r.ETag) };
    },
    async putBytesIfAbsent(loc, bytes) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: bytes, ContentLength: bytes.byteLength, IfNoneMatch: '*' }),
        );
        return true;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) return false;
        return call(loc, () => Promise.reject(e));
      }
    },
    async getFile(loc, file): Promise<Fetched> {
      const r = await get(loc);
      const got = await call(loc, () => copyHashed(r.Body as Readable, file));
      return { size: got.size, sha256: got.sha256, etag: unquote(r.ETag), mtime: r.LastModified };
    },
    async read(loc) {
      const r = await get(loc);
      return Buffer.from(await call(loc, () => r.Body!.transformToByteArray()));
    },
    list: listAll,
    async deletePrefix(loc) {
      const keys = (await listAll(loc)).map((e) => folderPrefix(loc.key) + e.path);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const r = await call(loc, () =>
          client.send(new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
        );
        if (r.Errors?.length)
          throw new CfmError('CFM_E_FILE', `delete failed for ${r.Errors.length} objects (${r.Errors[0].Code}: ${r.Errors[0].Key})`, {
            file: where(loc),
          });
      }
      return keys.length;
    },
    async remove(loc) {
      await call(loc, () => client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: loc.key })));
    },
    stat: head,
  };
}
