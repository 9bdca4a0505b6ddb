// Storage by URI: file:// (the embedded default; plain paths are files) and s3://bucket/prefix.
import { defaultStorage } from './storage';
import * as folder from './folder';
import type { Fetched, ListEntry, ObjectStat } from './types';
import type { FolderManifest } from './folder';

export { Storage, defaultStorage } from './storage';
export { s3SettingsFromEnv } from './config';
export type { S3Settings } from './config';
export { parseUri, formatUri, toUri, joinUri, isS3Uri, localPath } from './uri';
export type { Location } from './uri';
export type { ObjectStat, ListEntry, Fetched } from './types';
export { FOLDER_MANIFEST, parseFolderManifest } from './folder';
export type { FolderManifest, FileDigest } from './folder';

// The same operations on this process's default Storage (configured from process.env).
export const put = (uri: string, source: string | Uint8Array): Promise<ObjectStat> => defaultStorage().put(uri, source);
export const get = (uri: string, file: string): Promise<Fetched> => defaultStorage().get(uri, file);
export const read = (uri: string): Promise<Buffer> => defaultStorage().read(uri);
export const list = (uri: string): Promise<ListEntry[]> => defaultStorage().list(uri);
export const deletePrefix = (uri: string): Promise<number> => defaultStorage().deletePrefix(uri);
export const exists = (uri: string): Promise<boolean> => defaultStorage().exists(uri);
export const putIfAbsent = (uri: string, bytes: Uint8Array): Promise<boolean> => defaultStorage().putIfAbsent(uri, bytes);
export const stat = (uri: string): Promise<ObjectStat> => defaultStorage().stat(uri);
export const publishFolder = (dir: string, uri: string, storage = defaultStorage()): Promise<FolderManifest> =>
  folder.publishFolder(storage, dir, uri);
export const fetchFolder = (uri: string, dir: string, storage = defaultStorage()): Promise<FolderManifest> =>
  folder.fetchFolder(storage, uri, dir);
export const readFolderManifest = (uri: string, storage = defaultStorage()): Promise<FolderManifest> =>
  folder.readFolderManifest(storage, uri);
export const stageLocal = (uri: string, cacheDir: string, storage = defaultStorage()): Promise<string> =>
  folder.stageLocal(storage, uri, cacheDir);
export const stageFile = (uri: string, cacheDir: string, storage = defaultStorage()): Promise<string> =>
  folder.stageFile(storage, uri, cacheDir);
