/** The input side of a BERT-style encoder, y = dropout(LN(table[ids] + positions[offset + l])), as one native call
 * forward and one backward (packages/tensor/native/fused_embed.cc) instead of ~25 TF.js ops. The dropout noise is
 * ops.dropout's (TensorFlow's StatelessRandomUniform stream, re-computed in the kernel), so the fused and op-by-op
 * paths compute the same function with the same mask (fused-embed.test.ts). Used for training steps on the CPU
 * native backend when the addon is built (see fused-ce.ts); CFM_FUSED_EMBED=0 turns it off. */
import * as tf from '@tensorflow/tfjs';
import { runtimeOptions } from '@cfm/core';
import { loadFusedCe, nativeKernelsReady } from './fused-ce';
import { give, take } from './fused-block';
import { seedPair } from './native-kernels';
import type { Ctx } from './params';

interface EmbedAddon {
  embedForward(...args: unknown[]): void;
  embedBackward(...args: unknown[]): void;
}

/** true when a training step's embedding can run fused */
export function fusedEmbedActive(ctx: Ctx): boolean {
  return runtimeOptions().CFM_FUSED_EMBED && ctx.training && nativeKernelsReady();
}

/** ids [B, L] (row-major Int32Array) → dropout(LN(table[ids] + positions[P - L + l])) [B, L, D], with gradients
 * for table [V, D], positions [P, D] (the full table; the batch uses its last L rows), gamma and beta [D] */
export function fusedEmbed(
  table: tf.Tensor2D,
  positions: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  ids: Int32Array,
  shape: [number, number],
  rate: number,
  seed: number | undefined,
): tf.Tensor3D {
  const addon = loadFusedCe() as unknown as EmbedAddon;
  const [b, l] = shape;
  const d = table.shape[1];
  const dims = [b, l, d, positions.shape[0] - l];
  const noise = !rate || seed === undefined ? [] : seedPair(seed);
  const t = b * l;
  const threads = runtimeOptions().CFM_FUSED_CE_THREADS;
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [tab, pos, g, bt] = (args.slice(0, 4) as tf.Tensor[]).map((x) => x.dataSync() as Float32Array);
    const saved = take(t * d + t); // back to the pool after the backward pass
    const y = new Float32Array(t * d);
    addon.embedForward(ids, tab, pos, g, bt, noise, dims, 1 - rate, saved, threads, y);
    return {
      value: tf.tensor3d(y, [b, l, d]),
      gradFunc: (dy: tf.Tensor) => {
        const out = [new Float32Array(tab.length), new Float32Array(pos.length), new Float32Array(d), new Float32Array(d)];
        addon.embedBackward(ids, tab, pos, g, bt, noise, dims, 1 - rate, saved, threads, dy.dataSync() as Float32Array, ...out);
        give(saved);
        return [tf.tensor2d(out[0], table.shape), tf.tensor2d(out[1], positions.shape), tf.tensor1d(out[2]), tf.tensor1d(out[3])];
      },
    };
  });
  return fn(table, positions, gamma, beta) as tf.Tensor3D;
}
