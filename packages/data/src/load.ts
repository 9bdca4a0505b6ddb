import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CfmError, type CustomerSequences, type EvalSet, type PreparedDataset, type Vocabularies } from '@cfm/core';
import { fileDigests, type PreparedManifest } from './manifest';
import { readItemFeatures, readSequenceShard } from './shards';
import { snippet } from './values';

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    // (a JSON parse error quotes the file: a short escaped part of it only)
    throw new CfmError(
      'CFM_E_FILE',
      `cannot read prepared data (${snippet((e as Error).message.split('\n')[0], 100)}); run \`cfm prepare\` first`,
      { file: path },
    );
  }
}

/** Concatenate streamed batches into one CSR set. */
function concat(parts: CustomerSequences[]): CustomerSequences {
  const m = parts.reduce((a, p) => a + p.customerIds.length, 0);
  const total = parts.reduce((a, p) => a + p.items.length, 0);
  const out: CustomerSequences = {
    customerIds: [],
    offsets: new Int32Array(m + 1),
    items: new Int32Array(total),
    types: new Int32Array(total),
    times: new Float64Array(total),
  };
  if (parts.length && parts.every((p) => p.sessions)) out.sessions = new Int32Array(total);
  let c = 0,
    t = 0;
  for (const p of parts) {
    for (const id of p.customerIds) out.customerIds.push(id);
    for (let k = 1; k < p.offsets.length; k++) out.offsets[c + k] = t + p.offsets[k];
    out.items.set(p.items, t);
    out.types.set(p.types, t);
    out.times.set(p.times, t);
    if (out.sessions) out.sessions.set(p.sessions!, t);
    c += p.customerIds.length;
    t += p.items.length;
  }
  return out;
}

/** Read a whole shard into memory (use readSequenceShard to stream). */
export async function loadSequences(path: string): Promise<CustomerSequences> {
  const parts: CustomerSequences[] = [];
  for await (const b of readSequenceShard(path)) parts.push(b.sequences);
  return concat(parts);
}

export async function loadEvalSet(path: string): Promise<EvalSet & { targetTimes: Float64Array }> {
  const parts: CustomerSequences[] = [];
  const targets: Int32Array[] = [],
    types: Int32Array[] = [],
    times: Float64Array[] = [];
  for await (const b of readSequenceShard(path)) {
    parts.push(b.sequences);
    targets.push(b.targets ?? new Int32Array(0));
    types.push(b.targetTypes ?? new Int32Array(0));
    times.push(b.targetTimes ?? new Float64Array(0));
  }
  const flat = <T extends Int32Array | Float64Array>(xs: T[], make: (n: number) => T): T => {
    const out = make(xs.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of xs) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  return {
    history: concat(parts),
    targets: flat(targets, (n) => new Int32Array(n)),
    targetTypes: flat(types, (n) => new Int32Array(n)),
    targetTimes: flat(times, (n) => new Float64Array(n)),
  };
}

export async function readManifest(dir: string): Promise<PreparedManifest> {
  return readJson<PreparedManifest>(join(dir, 'manifest.json'));
}

/** A shard that cannot be read (truncated, not Arrow) is a CfmError naming it, not a parser's internal error. */
async function shard<T>(path: string, read: (p: string) => Promise<T>): Promise<T> {
  try {
    return await read(path);
  } catch (e) {
    if (e instanceof CfmError) throw e;
    throw new CfmError(
      'CFM_E_FILE',
      `cannot read this Arrow shard (truncated or not Arrow IPC: ${(e as Error).message.split('\n')[0].slice(0, 80)}); prepare the data again`,
      { file: path },
    );
  }
}

/** Checks every output file against the manifest (size and sha256): a truncated, changed or missing file is a
 * CfmError naming it. Folders prepared before the manifest listed its outputs are read unverified. */
export async function verifyPrepared(dir: string, manifest: PreparedManifest): Promise<void> {
  if (!manifest.outputs) return;
  const names = Object.keys(manifest.outputs);
  for (const name of names) {
    const size = await stat(join(dir, name)).then(
      (s) => s.size,
      () => undefined,
    );
    const want = manifest.outputs[name];
    if (size === undefined)
      throw new CfmError('CFM_E_FILE', 'a file the prepared manifest lists is missing; prepare the data again', { file: join(dir, name) });
    if (size !== want.bytes)
      throw new CfmError(
        'CFM_E_FILE',
        `size ${size} bytes, the prepared manifest says ${want.bytes} (truncated or changed); prepare the data again`,
        { file: join(dir, name) },
      );
  }
  const got = await fileDigests(dir, names);
  for (const name of names) {
    if (got[name].sha256 !== manifest.outputs[name].sha256)
      throw new CfmError('CFM_E_FILE', 'sha256 does not match the prepared manifest (changed after prepare); prepare the data again', {
        file: join(dir, name),
      });
  }
}

/** Load what `cfm prepare` wrote into `dir` (verified against its manifest first). */
export async function loadPrepared(dir: string): Promise<PreparedDataset> {
  const manifest = await readManifest(dir);
  await verifyPrepared(dir, manifest);
  const [vocabs, itemFeatures, train, valid, test] = await Promise.all([
    readJson<Vocabularies>(join(dir, 'vocabs.json')),
    shard(join(dir, 'item_features.arrow'), readItemFeatures),
    shard(join(dir, 'train.arrow'), loadSequences),
    shard(join(dir, 'valid.arrow'), loadEvalSet),
    shard(join(dir, 'test.arrow'), loadEvalSet),
  ]);
  const userLabels = manifest.hasUsers ? await readJson<PreparedDataset['userLabels']>(join(dir, 'users.json')) : undefined;
  return {
    dataset: manifest.dataset,
    split: manifest.split === 'loo' ? 'loo' : 'temporal',
    vocabs,
    itemFeatures,
    train,
    valid,
    test,
    userLabels,
    manifest: manifest as unknown as Record<string, unknown>,
  };
}
