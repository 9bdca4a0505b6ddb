/** A post-norm transformer block (TransformerBlock.apply: self-attention, GELU feed-forward, dropout, layer norms)
 * as one native call forward and one backward (packages/tensor/native/fused_block.cc), instead of ~300 TF.js ops.
 * The dropout noise is TensorFlow's StatelessRandomUniform stream re-computed in the kernel (native/philox.h)
 * from the block's seeds, so the fused block computes the same function with the same masks as the op-by-op one
 * on this backend (both tested). Used for training steps on the CPU native backend when the
 * addon is built (see fused-ce.ts); CFM_FUSED_BLOCK=0 turns it off. */
import * as tf from '@tensorflow/tfjs';
import { runtimeOptions } from '@cfm/core';
import { loadFusedCe, nativeKernelsReady } from './fused-ce';
import { seedPair } from './native-kernels';
import type { Ctx } from './params';

interface DenseWeights {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;
  readonly act: string;
  readonly outDim: number;
}
interface NormWeights {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}
/** What the kernel reads of a transformer block: its weights and settings. layers/transformer.ts's TransformerBlock
 * is one; declared here so that this file does not import the layer that calls it. */
export interface FusableBlock {
  readonly o: { readonly dropout: number; readonly causal?: boolean; readonly preNorm?: boolean };
  readonly attn: {
    readonly q: DenseWeights;
    readonly k: DenseWeights;
    readonly v: DenseWeights;
    readonly o: DenseWeights;
    readonly nHeads: number;
    readonly attnDropout: number;
  };
  readonly ff1: DenseWeights;
  readonly ff2: DenseWeights;
  readonly ln1: NormWeights;
  readonly ln2: NormWeights;
}

interface BlockAddon {
  blockForward(...args: unknown[]): void;
  blockBackward(...args: unknown[]): void;
  /** true in builds that take the causal flag (dims[5]) */
  blockCausal?: boolean;
}

/** activation buffers of earlier steps, reused: a fresh 50 MB Float32Array costs its page faults on every step.
 * The forward pass overwrites every value of a buffer, so a reused one needs no clearing. */
const pool: Float32Array[] = [];
export function take(n: number): Float32Array {
  const i = pool.findIndex((a) => a.length === n);
  return i >= 0 ? pool.splice(i, 1)[0] : new Float32Array(n);
}
/** at most 128M floats (512 MB) kept, enough for two ML-1m-sized blocks; the oldest go first (batch shapes vary
 * with length bucketing) */
export function give(a: Float32Array): void {
  pool.push(a);
  let total = pool.reduce((n, b) => n + b.length, 0);
  while (total > 128 * 2 ** 20 && pool.length) total -= pool.shift()!.length;
}

/** true when `blk` can run fused in this training step (a causal block needs a build that takes the causal flag) */
export function fusedBlockActive(blk: FusableBlock, ctx: Ctx): boolean {
  if (!runtimeOptions().CFM_FUSED_BLOCK || !ctx.training || !nativeKernelsReady()) return false;
  if (blk.o.causal && !(loadFusedCe() as unknown as BlockAddon).blockCausal) return false;
  const a = blk.attn;
  return (
    !blk.o.preNorm &&
    blk.ff1.act === 'gelu' &&
    blk.ff2.act === 'linear' &&
    [a.q, a.k, a.v, a.o, blk.ff1, blk.ff2].every((d) => d.b !== undefined)
  );
}

/** parameters in the addon's order */
function params(blk: FusableBlock): tf.Variable[] {
  const a = blk.attn;
  return [
    a.q.w,
    a.q.b!,
    a.k.w,
    a.k.b!,
    a.v.w,
    a.v.b!,
    a.o.w,
    a.o.b!,
    blk.ln1.gamma,
    blk.ln1.beta,
    blk.ff1.w,
    blk.ff1.b!,
    blk.ff2.w,
    blk.ff2.b!,
    blk.ln2.gamma,
    blk.ln2.beta,
  ];
}

/** x [B, L, D], tokens [B, L] (1 = token, 0 = padding) → [B, L, D]; takes the block's three seeds from ctx in
 * the order TransformerBlock.apply does (attention dropout, attention output, feed-forward output) */
export function fusedBlock(blk: FusableBlock, x: tf.Tensor, tokens: Float32Array, ctx: Ctx): tf.Tensor {
  const addon = loadFusedCe() as unknown as BlockAddon;
  const [b, l, d] = x.shape as number[];
  const h = blk.attn.nHeads;
  const f = blk.ff1.outDim;
  const rate = [blk.attn.attnDropout, blk.o.dropout, blk.o.dropout];
  // the same noise as ops.dropout's uniform(shape, seed) on this backend (TensorFlow's StatelessRandomUniform),
  // generated inside the kernel: [] = no dropout
  const seeds = [ctx.nextSeed(), ctx.nextSeed(), ctx.nextSeed()].map((seed, i) => (!rate[i] || seed === undefined ? [] : seedPair(seed)));
  const dims = [b, l, d, h, f, blk.o.causal ? 1 : 0];
  const keeps = rate.slice(0, 2).map((r) => 1 - r);
  const t = b * l;
  const savedLen = t * 3 * d + b * h * l * l + 4 * t * d + 2 * t + 2 * t * f;
  const ps = params(blk);
  const threads = runtimeOptions().CFM_FUSED_CE_THREADS;
  const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xs = (args[0] as tf.Tensor).dataSync() as Float32Array;
    const pv = (args.slice(1, 17) as tf.Tensor[]).map((p) => p.dataSync() as Float32Array);
    const saved = take(savedLen); // returned to the pool by the backward pass (a forward without one leaves it to GC)
    const y = new Float32Array(t * d);
    addon.blockForward(xs, tokens, pv, ...seeds, dims, keeps, saved, threads, y);
    return {
      value: tf.tensor3d(y, [b, l, d]),
      gradFunc: (dy: tf.Tensor) => {
        const dx = new Float32Array(t * d);
        const dps = pv.map((p) => new Float32Array(p.length));
        addon.blockBackward(xs, tokens, pv, ...seeds, dims, keeps, saved, threads, dy.dataSync() as Float32Array, dx, dps);
        give(saved);
        return [tf.tensor3d(dx, [b, l, d]), ...dps.map((g, i) => tf.tensor(g, ps[i].shape))];
      },
    };
  });
  return fn(x, ...ps);
}
