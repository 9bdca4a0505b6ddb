/** What stat / put report about one object. */
export interface ObjectStat {
  size: number;
  /** S3's ETag without quotes (a multipart upload's ends in -<parts>); for a local file `<size hex>-<mtime ms hex>` */
  etag: string;
  mtime?: Date;
}

/** One object under a listed prefix. */
export interface ListEntry extends ObjectStat {
  uri: string;
  /** the key relative to the listed prefix, '/'-separated */
  path: string;
}

/** A downloaded object: its stat and the sha256 of the bytes written. */
export interface Fetched extends ObjectStat {
  sha256: string;
}

/** One scheme's operations on already-parsed locations (internal). */
export interface Backend<L> {
  putFile(loc: L, file: string): Promise<ObjectStat>;
  putBytes(loc: L, bytes: Uint8Array): Promise<ObjectStat>;
  /** writes only when nothing is at `loc` (S3: If-None-Match *; file: O_EXCL); false when something was */
  putBytesIfAbsent(loc: L, bytes: Uint8Array): Promise<boolean>;
  getFile(loc: L, file: string): Promise<Fetched>;
  read(loc: L): Promise<Buffer>;
  list(loc: L): Promise<Array<Omit<ListEntry, 'uri'>>>;
  /** deletes the objects listed under the prefix; returns how many */
  deletePrefix(loc: L): Promise<number>;
  remove(loc: L): Promise<void>;
  stat(loc: L): Promise<ObjectStat | undefined>;
}
