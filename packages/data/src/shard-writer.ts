/**
 * Sequence shards written on a worker thread, so that the Arrow encoding and file writing of one split overlap the
 * building of the next on the calling thread. The sets' typed arrays are transferred (the caller's copies are
 * detached: read what is needed before handing a set over).
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import { writeSequenceShard, type ShardSet } from './shards';
import type { ShardWriteReply, ShardWriteRequest } from './shard-worker';

export interface ShardWriter {
  write(path: string, set: ShardSet): Promise<void>;
  close(): Promise<void>;
}

/** Writes on the calling thread (no worker). */
export const inlineShardWriter: ShardWriter = { write: writeSequenceShard, close: async () => undefined };

function buffersOf(set: ShardSet): ArrayBuffer[] {
  const seq = 'targets' in set ? set.history : set;
  const arrays: unknown[] = [seq.offsets, seq.items, seq.types, seq.times, seq.sessions];
  if ('targets' in set) arrays.push(set.targets, set.targetTypes, (set as { targetTimes?: Float64Array }).targetTimes);
  const out = new Set<ArrayBuffer>();
  for (const a of arrays)
    if (ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  return [...out];
}

/** Start the worker (it loads while the caller works; the first write waits for it). */
export function startShardWriter(): ShardWriter {
  const file = join(__dirname, `shard-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  // sources are TypeScript run through tsx: a worker needs tsx registered before it can require them
  const code = file.endsWith('.ts')
    ? `require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`
    : `require(${JSON.stringify(file)});`;
  const worker = new Worker(code, { eval: true });
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let failed: Error | undefined;
  const fail = (e: Error) => {
    failed ??= new CfmError('CFM_E_STATE', `shard writer: ${e.message}`);
    for (const w of waiting.values()) w.reject(failed);
    waiting.clear();
  };
  // (messages posted before the worker has loaded wait in its queue)
  worker.on('message', (m: ShardWriteReply) => {
    const w = waiting.get(m.id);
    if (!w) return; // -1: loaded
    waiting.delete(m.id);
    if (m.error !== undefined) w.reject(new CfmError('CFM_E_STATE', `shard writer: ${m.error}`));
    else w.resolve();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`worker exited (${code})`)));
  let nextId = 0;
  return {
    write(path, set) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, path, set } satisfies ShardWriteRequest, buffersOf(set));
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
