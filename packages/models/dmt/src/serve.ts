/** The generic CustomerModel entry points on plain sequence batches: the batch rows are split into
 * behaviour channels by event type, each customer becomes one request whose impressions are the
 * candidates. Dense popularity features only see the batch itself here. */
import * as tf from '@tensorflow/tfjs';
import { PAD, type CustomerSequences, type SequenceBatch } from '@cfm/core';
import { TYPE_VOCAB } from '@cfm/data';
import { Ctx } from '@cfm/tensor';
import { makeBatch, type BatchOptions, type DmtBatch } from './batch';
import type { DmtConfig } from './config';
import { denseFeatures } from './features';
import type { Catalogue, ImpressionSet } from './impression-types';
import type { DmtNetwork } from './network';

/** What serving reads of a model: model.ts's DmtModel is one (declared here so that this file does not import the
 * model that calls it). */
export interface ServedModel {
  readonly config: DmtConfig;
  readonly cat: Catalogue;
  readonly networks: ReadonlyArray<{ net: DmtNetwork }>;
  batchOptions(): BatchOptions;
  forward(b: DmtBatch, sink: (task: string, probs: Float32Array, gates?: Float32Array) => void): void;
}

const DAY_S = 86_400;

/** one request per batch row with the given candidate items (the same for every row) */
export function requestsFromBatch(model: ServedModel, batch: SequenceBatch, candidates: Int32Array): ImpressionSet {
  const B = batch.batchSize,
    L = batch.maxLen,
    C = candidates.length;
  const all: CustomerSequences = {
    customerIds: [],
    offsets: new Int32Array(B + 1),
    items: new Int32Array(0),
    types: new Int32Array(0),
    times: new Float64Array(0),
  };
  const rows: Array<{ item: number; type: number; time: number }[]> = [];
  for (let b = 0; b < B; b++) {
    const r: { item: number; type: number; time: number }[] = [];
    for (let t = 0; t < L; t++) {
      const it = batch.items[b * L + t];
      if (it !== PAD && it < model.cat.vocabs.item.tokens.length)
        r.push({ item: it, type: batch.types?.[b * L + t] ?? 4, time: batch.times?.[b * L + t] ?? t });
    }
    rows.push(r);
    all.offsets[b + 1] = all.offsets[b] + r.length;
  }
  const flat = rows.flat();
  Object.assign(all, {
    customerIds: batch.customerIds ?? rows.map((_, b) => `row${b}`),
    items: Int32Array.from(flat, (x) => x.item),
    types: Int32Array.from(flat, (x) => x.type),
    times: Float64Array.from(flat, (x) => x.time),
  });
  const requestTs = Float64Array.from(rows, (r) => (r.length ? r[r.length - 1].time + 1 : 1));
  const histories: Record<string, CustomerSequences> = {};
  for (const spec of model.config.behaviours) {
    const wanted = new Set(spec.types.map((t) => TYPE_VOCAB.tokens.indexOf(t)));
    const first = spec === model.config.behaviours[0];
    const picked = rows.map((r, b) =>
      r
        .filter((x) => (wanted.has(x.type) || (first && !batch.types)) && x.time >= requestTs[b] - spec.windowDays * DAY_S)
        .slice(-spec.maxLen),
    );
    const offsets = new Int32Array(B + 1);
    picked.forEach((p, b) => (offsets[b + 1] = offsets[b] + p.length));
    const f = picked.flat();
    histories[spec.name] = {
      customerIds: all.customerIds,
      offsets,
      items: Int32Array.from(f, (x) => x.item),
      types: Int32Array.from(f, (x) => x.type),
      times: Float64Array.from(f, (x) => x.time),
    };
  }
  const K = model.config.neighbours;
  const set: ImpressionSet = {
    offsets: Int32Array.from({ length: B + 1 }, (_, b) => b * C),
    requestTs,
    requestIds: all.customerIds,
    histories,
    item: Int32Array.from({ length: B * C }, (_, i) => candidates[i % C]),
    position: new Int32Array(B * C).fill(1),
    page: new Int32Array(B * C).fill(1),
    categories: new Int32Array(B * C * (1 + K)),
    neighbours: K,
    clicked: new Uint8Array(B * C),
    ordered: new Uint8Array(B * C),
    dense: new Float32Array(0),
    denseNames: [],
  };
  return Object.assign(set, denseFeatures(set, all, model.cat));
}

/** σ(u_task) [B, C] (C = vocabulary size when candidates is undefined), in chunks of candidates */
export function scoreCandidates(
  model: ServedModel,
  batch: SequenceBatch,
  task: string,
  candidates?: Int32Array,
  chunk = 256,
): Float32Array {
  const cands = candidates ?? Int32Array.from({ length: model.cat.vocabs.item.tokens.length }, (_, i) => i);
  const C = cands.length;
  const out = new Float32Array(batch.batchSize * C);
  for (let c0 = 0; c0 < C; c0 += chunk) {
    const part = cands.subarray(c0, Math.min(C, c0 + chunk));
    const set = requestsFromBatch(model, batch, part);
    const b = makeBatch(
      set,
      Array.from({ length: batch.batchSize }, (_, r) => r),
      model.batchOptions(),
    );
    model.forward(b, (t, p) => {
      if (t !== task) return;
      for (let r = 0; r < batch.batchSize; r++) for (let k = 0; k < part.length; k++) out[r * C + c0 + k] = p[r * b.listLen + k];
    });
  }
  return out;
}

/** customer vector: per behaviour, the interest vector read with the customer's mean item embedding as the query, concatenated → [B, nBehaviours × D] */
export function embedCustomers(model: ServedModel, batch: SequenceBatch): Float32Array {
  const out = customerVectors(model, batch, Ctx.inference());
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** the same customer vectors as a tensor [B, nBehaviours × D], differentiable when ctx.training (fine-tuning) */
export function customerVectors(model: ServedModel, batch: SequenceBatch, ctx: Ctx): tf.Tensor2D {
  const set = requestsFromBatch(model, batch, Int32Array.from([PAD]));
  const b = makeBatch(
    set,
    Array.from({ length: batch.batchSize }, (_, r) => r),
    model.batchOptions(),
  );
  const net = model.networks[0].net;
  const R = b.requests;
  return tf.tidy(() => {
    const parts = [...net.extractors].map(([name, ex]) => {
      const s = b.seqs[name];
      const seq = net.embed.apply(s.ids, [R, s.len]); // [R, L, D]
      const mask = tf
        .notEqual(tf.tensor2d(s.ids.item, [R, s.len], 'int32'), PAD)
        .toFloat()
        .expandDims(2); // [R, L, 1]
      const query = tf.div(tf.sum(tf.mul(seq, mask), 1, true), tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor3D; // [R, 1, D]
      return ex.apply(seq, tf.tensor2d(s.ids.item, [R, s.len], 'int32'), query, ctx).reshape([R, -1]); // [R, D]
    });
    return tf.concat(parts, 1) as tf.Tensor2D; // [R, nB × D]
  });
}
