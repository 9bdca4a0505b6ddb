/** Transformer encoder (Vaswani et al. 2017): multi-head self-attention with a padding mask (and optionally a
 * causal one, as SASRec), GELU feed-forward, residuals, layer norm (post-norm as BERT / BERT4Rec, or pre-norm), dropout. */
import * as tf from '@tensorflow/tfjs';
import { CfmError } from '@cfm/core';
import { dropout, layerNorm } from '../ops';
import { hasNativeKernels } from '../native-kernels';
import type { Ctx, Params } from '../params';
import { Dense } from './dense';
import { fusedBlock, fusedBlockActive } from '../fused-block';

export interface EncoderOptions {
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** feed-forward inner size; default 4 × dModel */
  dFf?: number;
  dropout: number;
  attnDropout?: number;
  preNorm?: boolean;
  /** left-to-right attention: position i attends to positions ≤ i only (SASRec) */
  causal?: boolean;
}

/** additive attention bias from a [B, L] 0/1 mask of real tokens → [B, 1, 1, L] */
export function paddingBias(mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sub(1, mask.toFloat()), -1e9).expandDims(1).expandDims(1));
}

/** additive attention bias [1, 1, L, L]: -1e9 where key j is after query i (j > i), else 0 */
export function causalBias(l: number): tf.Tensor {
  const b = new Float32Array(l * l);
  for (let i = 0; i < l; i++) b.fill(-1e9, i * l + i + 1, (i + 1) * l);
  return tf.tensor4d(b, [1, 1, l, l]);
}

/** the encoder's attention biases: `all` for full passes ([B, 1, 1|L, L]: padding, plus the causal bias when causal),
 * `last` for a lastOnly top block (the last query sees every position, so only the padding bias) */
function encoderBias(mask: tf.Tensor | undefined, [b, l]: number[], causal: boolean | undefined): { all?: tf.Tensor; last?: tf.Tensor } {
  const pad = mask ? paddingBias(mask) : undefined;
  if (!causal) return { all: pad, last: pad };
  const c = causalBias(l);
  return { all: pad ? tf.add(pad, c) : tf.tile(c, [b, 1, 1, 1]), last: pad };
}

export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  constructor(p: Params, name: string, dim: number) {
    this.gamma = p.add(`${name}/gamma`, [dim], 'ones');
    this.beta = p.add(`${name}/beta`, [dim], 'zeros');
  }
  apply(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D);
  }
  /** inference only: the same formula without the custom-gradient bookkeeping */
  infer(x: tf.Tensor): tf.Tensor {
    return layerNormInfer(x, this);
  }
}

export class MultiHeadAttention {
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  constructor(
    p: Params,
    name: string,
    readonly dModel: number,
    readonly nHeads: number,
    readonly attnDropout = 0,
  ) {
    if (dModel % nHeads) throw new CfmError('CFM_E_CONFIG', `dModel ${dModel} not divisible by nHeads ${nHeads}`, { field: 'nHeads' });
    this.q = new Dense(p, `${name}/q`, dModel, dModel);
    this.k = new Dense(p, `${name}/k`, dModel, dModel);
    this.v = new Dense(p, `${name}/v`, dModel, dModel);
    this.o = new Dense(p, `${name}/o`, dModel, dModel);
  }
  private split(x: tf.Tensor, b: number, l: number): tf.Tensor {
    return x.reshape([b, l, this.nHeads, this.dModel / this.nHeads]).transpose([0, 2, 1, 3]); // [B, H, L, dk]
  }
  /** query [B, Lq, D] attends over kv [B, Lk, D]; bias [B, 1, 1|Lq, Lk] additive → [B, Lq, D] */
  apply(query: tf.Tensor, kv: tf.Tensor, bias: tf.Tensor | undefined, ctx: Ctx): tf.Tensor {
    const [b, lq] = query.shape as number[];
    const lk = kv.shape[1] as number;
    const dk = this.dModel / this.nHeads;
    const q = this.split(tf.mul(this.q.apply(query), 1 / Math.sqrt(dk)), b, lq); // [B, H, Lq, dk], scaled here: 1/L of the work of scaling the scores
    const k = this.split(this.k.apply(kv), b, lk); // [B, H, Lk, dk]
    const v = this.split(this.v.apply(kv), b, lk); // [B, H, Lk, dk]
    // native TensorFlow takes kᵀ as a matmul flag; wasm's fast path wants the plain layout (explicit transpose)
    let scores = hasNativeKernels() ? tf.matMul(q, k, false, true) : tf.matMul(q, k.transpose([0, 1, 3, 2])); // [B, H, Lq, Lk]
    if (bias) scores = tf.add(scores, bias);
    const attn = dropout(tf.softmax(scores, -1), this.attnDropout, ctx.nextSeed());
    const out = tf.matMul(attn, v).transpose([0, 2, 1, 3]).reshape([b, lq, this.dModel]); // [B, Lq, D]
    return this.o.apply(out);
  }

  /** Inference only (no dropout): the same function as apply(), with the work rearranged for speed. Head-major
   * layout: one batched matmul x [1, T, D] @ W [3H, D, dk] gives every head's q, k and v as [3H, T, dk] (no
   * head-split transposes; 4–9 % faster than one matmul per head and projection); attention runs batched over
   * H·B; the output projection is a batched matmul [H, T, dk] @ [H, dk, D] summed over heads. 1/√dk is folded
   * into the query weights; the key bias is left out (it adds q·b_k to every score of a row, which softmax ignores); the value
   * bias is folded into the output bias (attention rows sum to 1, so it adds b_v W_o). bias [B, 1, 1|Lq, Lk]. */
  infer(query: tf.Tensor, kv: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
    return tf.tidy(() => {
      const [b, lq] = query.shape as number[];
      const lk = kv.shape[1] as number;
      const d = this.dModel;
      const H = this.nHeads;
      const dk = d / H;
      const scale = 1 / Math.sqrt(dk);
      const heads = (w: tf.Tensor) => w.reshape([d, H, dk]).transpose([1, 0, 2]); // [D, D] → [H, D, dk]
      const same = query === kv;
      const wq = heads(tf.mul(this.q.w, scale));
      const wkv = tf.concat([heads(this.k.w), heads(this.v.w)], 0); // [2H, D, dk]
      const kv3 = kv.reshape([1, -1, d]);
      let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
      if (same) {
        const qkv = tf.matMul(kv3, tf.concat([wq, wkv], 0)); // [3H, T, dk]
        [q, k, v] = tf.split(qkv, 3, 0);
      } else {
        q = tf.matMul(query.reshape([1, -1, d]), wq); // [H, Tq, dk]
        [k, v] = tf.split(tf.matMul(kv3, wkv), 2, 0); // [H, T, dk] each
      }
      if (this.q.b) q = tf.add(q, tf.mul(this.q.b, scale).reshape([H, 1, dk]));
      q = q.reshape([H * b, lq, dk]);
      k = k.reshape([H * b, lk, dk]);
      v = v.reshape([H * b, lk, dk]);
      let scores = hasNativeKernels() ? tf.matMul(q, k, false, true) : tf.matMul(q, k.transpose([0, 2, 1])); // [H·B, Lq, Lk]
      if (bias) scores = tf.add(scores.reshape([H, b, lq, lk]), bias.reshape([1, b, -1, lk])).reshape([H * b, lq, lk]);
      const ctx = tf.matMul(tf.softmax(scores, -1), v).reshape([H, b * lq, dk]);
      const wo = (this.o.w as tf.Tensor).reshape([H, dk, d]);
      let out: tf.Tensor = tf.sum(tf.matMul(ctx, wo), 0); // [B·Lq, D]
      let bo: tf.Tensor | undefined = this.o.b;
      if (this.v.b) {
        const vb = tf.matMul(this.v.b.reshape([1, d]), this.o.w as tf.Tensor2D).reshape([d]);
        bo = bo ? tf.add(bo, vb) : vb;
      }
      if (bo) out = tf.add(out, bo);
      return out.reshape([b, lq, d]);
    });
  }
}

/** layer norm over the last axis at inference (no custom gradient bookkeeping); same formula as ops.layerNorm */
function layerNormInfer(x: tf.Tensor, ln: LayerNorm, eps = 1e-6): tf.Tensor {
  return tf.tidy(() => {
    const xc = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    return tf.add(tf.mul(tf.mul(xc, rstd), ln.gamma), ln.beta);
  });
}

export class TransformerBlock {
  readonly attn: MultiHeadAttention;
  readonly ff1: Dense;
  readonly ff2: Dense;
  readonly ln1: LayerNorm;
  readonly ln2: LayerNorm;
  constructor(
    p: Params,
    name: string,
    readonly o: EncoderOptions,
  ) {
    this.attn = new MultiHeadAttention(p, `${name}/attn`, o.dModel, o.nHeads, o.attnDropout ?? o.dropout);
    const dFf = o.dFf ?? 4 * o.dModel;
    this.ff1 = new Dense(p, `${name}/ff1`, o.dModel, dFf, 'gelu');
    this.ff2 = new Dense(p, `${name}/ff2`, dFf, o.dModel);
    this.ln1 = new LayerNorm(p, `${name}/ln1`, o.dModel);
    this.ln2 = new LayerNorm(p, `${name}/ln2`, o.dModel);
  }
  /** x [B, L, D], bias [B, 1, 1, L] → [B, L, D]; with lastOnly, only the last position's output [B, 1, D]
   * (every position still serves as key and value; the queries, residuals and feed-forward of the others are skipped) */
  apply(x: tf.Tensor, bias: tf.Tensor | undefined, ctx: Ctx, lastOnly = false): tf.Tensor {
    const drop = (t: tf.Tensor) => dropout(t, this.o.dropout, ctx.nextSeed());
    const last = (t: tf.Tensor) => (lastOnly ? t.slice([0, t.shape[1]! - 1, 0], [-1, 1, -1]) : t);
    if (this.o.preNorm) {
      const a = this.ln1.apply(x);
      const h = tf.add(last(x), drop(this.attn.apply(last(a), a, bias, ctx)));
      return tf.add(h, drop(this.ff2.apply(this.ff1.apply(this.ln2.apply(h)))));
    }
    const h = this.ln1.apply(tf.add(last(x), drop(this.attn.apply(last(x), x, bias, ctx))));
    return this.ln2.apply(tf.add(h, drop(this.ff2.apply(this.ff1.apply(h)))));
  }

  /** Inference only: the same function as apply() with Ctx.inference() (see MultiHeadAttention.infer); for a
   * GELU feed-forward, GELU's 1/√2 is folded into both projections: with z = (h W1 + b1) / √2,
   * ff2(gelu(h W1 + b1)) = (z + z · erf z) (W2 / √2) + b2 (two passes over [T, dFf] fewer). */
  infer(x: tf.Tensor, bias: tf.Tensor | undefined, lastOnly = false): tf.Tensor {
    return tf.tidy(() => {
      const last = (t: tf.Tensor) => (lastOnly ? t.slice([0, t.shape[1]! - 1, 0], [-1, 1, -1]) : t);
      if (this.o.preNorm) {
        const a = layerNormInfer(x, this.ln1);
        const h = tf.add(last(x), this.attn.infer(last(a), a, bias));
        return tf.add(h, this.feedForward(layerNormInfer(h, this.ln2)));
      }
      const h = layerNormInfer(tf.add(last(x), this.attn.infer(last(x), x, bias)), this.ln1);
      return layerNormInfer(tf.add(h, this.feedForward(h)), this.ln2);
    });
  }

  private feedForward(h: tf.Tensor): tf.Tensor {
    if (this.ff1.act !== 'gelu') return this.ff2.apply(this.ff1.apply(h));
    const shape = h.shape;
    const r = Math.SQRT1_2;
    let z: tf.Tensor = tf.matMul(h.reshape([-1, this.o.dModel]) as tf.Tensor2D, tf.mul(this.ff1.w, r) as tf.Tensor2D);
    if (this.ff1.b) z = tf.add(z, tf.mul(this.ff1.b, r));
    const g = tf.add(z, tf.mul(z, tf.erf(z)));
    let y: tf.Tensor = tf.matMul(g as tf.Tensor2D, tf.mul(this.ff2.w, r) as tf.Tensor2D);
    if (this.ff2.b) y = tf.add(y, this.ff2.b);
    return y.reshape(shape);
  }
}

export class TransformerEncoder {
  readonly blocks: TransformerBlock[];
  constructor(
    p: Params,
    name: string,
    readonly o: EncoderOptions,
  ) {
    this.blocks = Array.from({ length: o.nLayers }, (_, i) => new TransformerBlock(p, `${name}/${i}`, o));
  }
  /** x [B, L, D], mask [B, L] (1 = token, 0 = pad) → [B, L, D]; with lastOnly → [B, 1, D], the last position
   * only, for inference that reads one slot (the top block then does 1/L of its work). With `causal`, position i
   * attends to positions ≤ i only. */
  apply(x: tf.Tensor, mask: tf.Tensor | undefined, ctx: Ctx, lastOnly = false): tf.Tensor {
    const n = this.blocks.length;
    if (!lastOnly && this.blocks.every((blk) => fusedBlockActive(blk, ctx))) {
      // training on the CPU native backend: each block is one native call (fused-block.ts), same function
      const [b, l] = x.shape as number[];
      const tokens = mask ? (tf.tidy(() => mask.toFloat().dataSync()) as Float32Array) : new Float32Array(b * l).fill(1);
      return this.blocks.reduce((h, blk) => fusedBlock(blk, h, tokens, ctx), x);
    }
    const bias = encoderBias(mask, x.shape, this.o.causal);
    return this.blocks.reduce(
      (h, blk, i) => (lastOnly && i === n - 1 ? blk.apply(h, bias.last, ctx, true) : blk.apply(h, bias.all, ctx)),
      x,
    );
  }

  /** Inference only (no dropout, no training): the same function as apply(x, mask, Ctx.inference(), lastOnly),
   * computed with fewer passes over memory (TransformerBlock.infer). */
  infer(x: tf.Tensor, mask: tf.Tensor | undefined, lastOnly = false): tf.Tensor {
    return tf.tidy(() => {
      const bias = encoderBias(mask, x.shape, this.o.causal);
      const n = this.blocks.length;
      return this.blocks.reduce((h, blk, i) => (lastOnly && i === n - 1 ? blk.infer(h, bias.last, true) : blk.infer(h, bias.all)), x);
    });
  }
}
