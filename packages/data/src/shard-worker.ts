/** Worker-thread side of ShardWriter: writes the sequence shards it is sent (writeSequenceShard, same bytes). */
import { parentPort } from 'node:worker_threads';
import { writeSequenceShard, type ShardSet } from './shards';

export type ShardWriteRequest = { id: number; path: string; set: ShardSet };
export type ShardWriteReply = { id: number; error?: string };

const port = parentPort!;
port.on('message', (m: ShardWriteRequest) => {
  writeSequenceShard(m.path, m.set).then(
    () => port.postMessage({ id: m.id } satisfies ShardWriteReply),
    (e: Error) => port.postMessage({ id: m.id, error: e.message } satisfies ShardWriteReply),
  );
});
port.postMessage({ id: -1 } satisfies ShardWriteReply); // ready
