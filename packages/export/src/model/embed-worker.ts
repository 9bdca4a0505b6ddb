/** Worker-thread side of EmbedPool: loads the (already verified) model artifact with its family on the
 * same TF.js backend as the parent, then embeds the padded batches it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import type { CustomerModel, ModelFamily, SequenceBatch } from '@cfm/core';
import * as registry from '@cfm/models';
import { initBackend, type BackendName } from '@cfm/tensor';

export interface EmbedWorkerData {
  dir: string;
  family: string;
  backend: BackendName;
}
export type EmbedRequest = { id: number; batch: SequenceBatch };
export type EmbedReply = { id: number; vectors?: Float32Array; error?: string };

async function main() {
  const port = parentPort!;
  const d = workerData as EmbedWorkerData;
  let model: CustomerModel;
  try {
    await initBackend({ prefer: d.backend, quiet: true });
    const families = (registry as { families?: Record<string, ModelFamily<unknown>> }).families ?? {};
    const family = families[d.family] ?? Object.values(families).find((f) => f.name === d.family);
    if (!family) throw new Error(`no model family "${d.family}" is registered`);
    model = await family.load(d.dir);
  } catch (e) {
    port.postMessage({ id: -1, error: (e as Error).message } satisfies EmbedReply);
    return;
  }
  port.on('message', (m: EmbedRequest) => {
    try {
      const vectors = model.embed(m.batch);
      port.postMessage({ id: m.id, vectors } satisfies EmbedReply, [vectors.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).message } satisfies EmbedReply);
    }
  });
  port.postMessage({ id: -1 } satisfies EmbedReply); // ready
}

void main();
