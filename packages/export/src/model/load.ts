import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError, sha256, padBatch, type CustomerModel, type CustomerSequences, type ModelFamily } from '@cfm/core';
import { backendInfo, initBackend, type BackendName } from '@cfm/tensor';
import { MANIFEST_FILE, verifyArtifact, type ExportManifest } from '../artifact';
import { EmbedPool } from './embed-pool';
import { asOfEnds, asOfSeconds, exportBatches, exportOrder } from './sequences';

/** default token budget per batch, per row of batchSize (see exportBatches) */
const TOKENS_PER_ROW = 16;

export interface LoadModelOptions {
  /** vocabulary hash of the data the model will see; a different one is refused (CFM_E_VOCAB_MISMATCH) */
  vocabHash?: string;
  /** the family to load with; default: looked up by the manifest's family name in @cfm/models */
  family?: ModelFamily<unknown>;
  /** per-item feature tables of the prepared data, for families that read item attributes */
  itemFeatures?: Record<string, Int32Array>;
  /** false: keep the TF.js backend already set (tests); default: initBackend() picks the fastest */
  initBackend?: boolean;
  /** worker threads (each with its own copy of the model) that embedBatchesAsync / exportEmbeddings spread
   * batches over, next to the calling thread; default 0. availableParallelism() - 1 uses every core. */
  workers?: number;
}

export interface EmbedOptions {
  /** only events strictly before this date (YYYY-MM-DD, UTC) or ISO instant */
  asOf?: string;
  batchSize?: number;
  /** at most this many padded tokens per batch (rows × longest length); default batchSize × 16 */
  maxTokens?: number;
}

/** One batch of exported rows; `vectors` is row-major [customerIds.length, dim]. */
export interface EmbeddedBatch {
  customerIds: string[];
  /** indices into the input sequences */
  rows: number[];
  vectors: Float32Array;
}

/** A verified model artifact, ready to embed and score customers. */
export interface LoadedModel {
  readonly manifest: ExportManifest;
  readonly model: CustomerModel;
  /** content address of the artifact: first 12 hex of the manifest's sha256 */
  readonly modelVersion: string;
  readonly maxLen: number;
  readonly embeddingDim: number;
  /** customers without any event before the cut are left out */
  embedBatches(customers: CustomerSequences, opts?: EmbedOptions): Generator<EmbeddedBatch>;
  /** the same batches in the same order, computed on the worker threads (`workers`) and this thread */
  embedBatchesAsync(customers: CustomerSequences, opts?: EmbedOptions): AsyncGenerator<EmbeddedBatch>;
  /** all customers' vectors in input order ([n, dim]; rows without history are zero), + which rows have one */
  embed(customers: CustomerSequences, opts?: EmbedOptions): { vectors: Float32Array; present: Uint8Array; dim: number };
  /** scores [n, candidates.length] (or [n, vocab]) in input order */
  score(customers: CustomerSequences, task: string, candidates?: Int32Array, opts?: EmbedOptions): Float32Array;
  dispose(): void;
}

/** Verify the artifact (sha256 of every file, vocabulary), then load it with its family. */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const manifest = verifyArtifact(dir, { vocabHash: opts.vocabHash });
  const family = opts.family ?? (await lookupFamily(manifest.family, dir));
  if (opts.initBackend !== false) await initBackend({ quiet: true });
  const model = await family.load(dir);
  const modelVersion = sha256(readFileSync(join(dir, MANIFEST_FILE))).slice(0, 12);
  const maxLen = model.maxLen; // the model's config owns it: no guess here
  const itemFeatures = opts.itemFeatures;
  const backend = (backendInfo()?.name ?? 'tensorflow') as BackendName;
  let pool: EmbedPool | undefined;
  if ((opts.workers ?? 0) > 0) {
    try {
      pool = await EmbedPool.start(opts.workers!, dir, family.name, backend);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  function* batches(customers: CustomerSequences, o: EmbedOptions = {}) {
    const ends = o.asOf !== undefined ? asOfEnds(customers, asOfSeconds(o.asOf)) : customers.offsets.subarray(1);
    const order = exportOrder(customers, Int32Array.from(ends), maxLen);
    const size = o.batchSize ?? 512;
    const length = (c: number) => Math.min(maxLen, ends[c] - customers.offsets[c]);
    for (const [i, j] of exportBatches(order, length, size, o.maxTokens ?? size * TOKENS_PER_ROW)) {
      const rows = order.slice(i, j);
      const batch = padBatch(customers, rows, { maxLen, itemFeatures, ends: Int32Array.from(rows, (c) => ends[c]), times: true });
      yield { rows, batch };
    }
  }

  const loaded: LoadedModel = {
    manifest,
    model,
    modelVersion,
    maxLen,
    embeddingDim: model.embeddingDim,
    *embedBatches(customers, o) {
      for (const { rows, batch } of batches(customers, o)) {
        yield { customerIds: batch.customerIds!, rows, vectors: model.embed(batch) };
      }
    },
    async *embedBatchesAsync(customers, o) {
      if (!pool) {
        yield* loaded.embedBatches(customers, o);
        return;
      }
      const plan = [...batches(customers, o)];
      type Result = { vectors?: Float32Array; error?: unknown; promise?: Promise<void> };
      const results = new Map<number, Result>();
      let next = 0;
      for (let emit = 0; emit < plan.length; emit++) {
        // keep every worker's queue full; while the batch due next is still out, compute one here
        for (;;) {
          while (next < plan.length) {
            const slot = pool.freeSlot();
            if (!slot) break;
            const r: Result = {};
            r.promise = pool.submit(slot, plan[next].batch).then(
              (v) => void (r.vectors = v),
              (e) => void (r.error = e),
            );
            results.set(next++, r);
          }
          const due = results.get(emit);
          if (next >= plan.length || (due && (due.vectors || due.error))) break;
          results.set(next, { vectors: model.embed(plan[next].batch) });
          next++;
          await new Promise((resolve) => setImmediate(resolve)); // let finished workers report
        }
        const r = results.get(emit)!;
        await r.promise;
        results.delete(emit);
        if (r.error) throw r.error;
        yield { customerIds: plan[emit].batch.customerIds!, rows: plan[emit].rows, vectors: r.vectors! };
      }
    },
    embed(customers, o) {
      const dim = model.embeddingDim;
      const vectors = new Float32Array(customers.customerIds.length * dim);
      const present = new Uint8Array(customers.customerIds.length);
      for (const b of loaded.embedBatches(customers, o)) {
        b.rows.forEach((c, r) => (vectors.set(b.vectors.subarray(r * dim, (r + 1) * dim), c * dim), (present[c] = 1)));
      }
      return { vectors, present, dim };
    },
    score(customers, task, candidates, o) {
      if (!model.tasks.includes(task))
        throw new CfmError('CFM_E_CONFIG', `unknown task "${task}" (model has ${model.tasks.join(', ')})`, { field: 'task' });
      let out: Float32Array | undefined;
      let width = 0;
      for (const { rows, batch } of batches(customers, o)) {
        const s = model.score(batch, task, candidates);
        width = s.length / rows.length;
        out ??= new Float32Array(customers.customerIds.length * width);
        rows.forEach((c, r) => out!.set(s.subarray(r * width, (r + 1) * width), c * width));
      }
      return out ?? new Float32Array(0);
    },
    dispose: () => {
      void pool?.close();
      model.dispose();
    },
  };
  return loaded;
}

/** The family registered under `name` in @cfm/models (loaded lazily: it pulls in TF.js). */
async function lookupFamily(name: string, dir: string): Promise<ModelFamily<unknown>> {
  const registry = (await import('@cfm/models')) as { families?: Record<string, ModelFamily<unknown>> };
  const family = registry.families?.[name] ?? Object.values(registry.families ?? {}).find((f) => f.name === name);
  if (!family)
    throw new CfmError('CFM_E_ARTIFACT', `no model family "${name}" is registered`, { file: join(dir, MANIFEST_FILE), field: 'family' });
  return family;
}
