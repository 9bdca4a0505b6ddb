/** Worker threads that each hold a copy of a loaded model and embed padded batches, so that export uses more
 * than the one core a TF.js forward pass of small batches keeps busy (native TensorFlow runs these ops on the
 * calling thread). The calling thread computes batches too whenever every worker already has work queued. */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { CfmError, type SequenceBatch } from '@cfm/core';
import type { BackendName } from '@cfm/tensor';
import type { EmbedReply, EmbedRequest, EmbedWorkerData } from './embed-worker';

/** batches queued per worker, so that a worker never waits for the calling thread to hand it the next one */
const DEPTH = 2;

interface Slot {
  worker: Worker;
  outstanding: number;
}

export class EmbedPool {
  private readonly waiting = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void; slot: Slot }>();
  private nextId = 0;
  private closed = false;

  private constructor(
    private readonly slots: Slot[],
    private readonly dir: string,
  ) {
    for (const slot of slots) {
      slot.worker.on('message', (m: EmbedReply) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        slot.outstanding--;
        if (m.error !== undefined || !m.vectors)
          w.reject(new CfmError('CFM_E_STATE', `embed worker: ${m.error ?? 'no vectors'}`, { file: dir }));
        else w.resolve(m.vectors);
      });
      slot.worker.on('error', (e) => this.failAll(slot, e));
    }
  }

  /** Start `count` workers and wait until each has loaded the model in `dir` (an artifact already verified). */
  static async start(count: number, dir: string, family: string, backend: BackendName): Promise<EmbedPool> {
    const data: EmbedWorkerData = { dir, family, backend };
    const file = join(__dirname, `embed-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
    // sources are TypeScript run through tsx: a worker needs tsx registered before it can require them
    const code = file.endsWith('.ts')
      ? `require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`
      : `require(${JSON.stringify(file)});`;
    const workers = Array.from({ length: count }, () => new Worker(code, { eval: true, workerData: data }));
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once('error', reject);
              w.once('message', (m: EmbedReply) => (m.error !== undefined ? reject(new Error(m.error)) : resolve()));
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new CfmError('CFM_E_STATE', `embed workers failed to start: ${(e as Error).message}`, { file: dir });
    }
    for (const w of workers) w.unref();
    return new EmbedPool(
      workers.map((worker) => ({ worker, outstanding: 0 })),
      dir,
    );
  }

  get size(): number {
    return this.slots.length;
  }

  /** a worker with room in its queue, or undefined when all are full */
  freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.outstanding < DEPTH && (!best || s.outstanding < best.outstanding)) best = s;
    return best;
  }

  /** queue a batch on a worker (its typed arrays are copied, not transferred) */
  submit(slot: Slot, batch: SequenceBatch): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new CfmError('CFM_E_STATE', 'embed pool closed', { file: this.dir }));
    const id = this.nextId++;
    slot.outstanding++;
    const { batchSize, maxLen, items, types, features, times } = batch;
    return new Promise<Float32Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, batch: { batchSize, maxLen, items, types, features, times } } satisfies EmbedRequest);
    });
  }

  private failAll(slot: Slot, e: Error): void {
    for (const [id, w] of this.waiting) {
      if (w.slot !== slot) continue;
      this.waiting.delete(id);
      w.reject(new CfmError('CFM_E_STATE', `embed worker died: ${e.message}`, { file: this.dir }));
    }
    slot.outstanding = DEPTH; // never hand it work again
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
