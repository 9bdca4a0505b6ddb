/** AdamW (Loshchilov & Hutter 2019: Adam with decoupled weight decay), linear warm-up then cosine or
 * linear decay, global-norm gradient clipping. State (m, v, step) is plain tensors so checkpoints
 * can save it and a resumed run continues the same schedule. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, runtimeOptions } from '@cfm/core';
import { loadFusedCe, nativeKernelsReady } from './fused-ce';

export interface OptimOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** decoupled weight decay (not applied to biases, layer-norm and names matched by noDecay) */
  weightDecay?: number;
  /** clip gradients to this global L2 norm; 0 = off */
  clipNorm?: number;
  warmupSteps?: number;
  totalSteps: number;
  schedule?: 'cosine' | 'linear' | 'constant';
  /** final lr as a fraction of lr */
  minLrRatio?: number;
  noDecay?: RegExp;
  /** per-parameter multiplier of the learning rate and of its weight decay, by name (default 1): e.g. a small rate
   * for a pre-trained encoder and 1 for a new head when fine-tuning. 0 leaves the parameter exactly as it is. */
  lrScale?: (name: string) => number;
}

/** learning rate at (0-based) step */
export function learningRate(step: number, o: OptimOptions): number {
  const warm = o.warmupSteps ?? 0;
  if (step < warm) return (o.lr * (step + 1)) / warm;
  const min = o.lr * (o.minLrRatio ?? 0);
  const span = Math.max(1, o.totalSteps - warm);
  const t = Math.min(1, (step - warm) / span);
  if (o.schedule === 'constant') return o.lr;
  if (o.schedule === 'linear') return min + (o.lr - min) * (1 - t);
  return min + (o.lr - min) * 0.5 * (1 + Math.cos(Math.PI * t));
}

export class AdamW {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** the lrScale of each parameter, by name */
  private readonly scale = new Map<string, number>();
  /** m and v as host arrays while the host update runs (applyHost); the variables are refreshed from them by state() */
  private host?: Map<string, { m: Float32Array; v: Float32Array }>;
  constructor(
    readonly vars: Map<string, tf.Variable>,
    readonly o: OptimOptions,
  ) {
    for (const [k, w] of vars) {
      const scale = o.lrScale?.(k) ?? 1;
      if (!(scale >= 0)) throw new CfmError('CFM_E_CONFIG', `AdamW: lrScale of "${k}" is ${scale} (must be >= 0)`, { field: 'lrScale' });
      this.scale.set(k, scale);
      const zeros = tf.zerosLike(w);
      this.m.set(k, tf.variable(zeros, false));
      this.v.set(k, tf.variable(zeros, false));
      zeros.dispose();
    }
  }

  /** one update from gradients keyed like `vars`; returns the pre-clip global gradient norm as a tensor (caller disposes) */
  apply(grads: Record<string, tf.Tensor>): tf.Scalar {
    if (runtimeOptions().CFM_HOST_ADAM && nativeKernelsReady()) return this.applyHost(grads);
    const o = this.o;
    const b1 = o.beta1 ?? 0.9;
    const b2 = o.beta2 ?? 0.999;
    const lr = learningRate(this.step, o);
    const t = this.step + 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const noDecay = o.noDecay ?? /(\/bias|\/beta|\/gamma|logVar)$/;
    const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
    tf.tidy(() => {
      const clip = o.clipNorm ? tf.minimum(1, tf.div(o.clipNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
      for (const [k, w] of this.vars) {
        const g0 = grads[k];
        const s = this.scale.get(k)!;
        if (!g0 || s === 0) continue;
        const g = tf.mul(g0, clip);
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        let upd = tf.div(tf.mul(m, lrT * s), tf.add(tf.sqrt(v), o.eps ?? 1e-6));
        if (o.weightDecay && !noDecay.test(k)) upd = tf.add(upd, tf.mul(w, lr * s * o.weightDecay));
        w.assign(tf.sub(w, upd));
      }
    });
    this.step++;
    return norm;
  }

  /** The same update as apply() in one pass per parameter over host arrays: on native TensorFlow, ~12 TF ops per
   * parameter tensor (~500 a step) cost more in per-op overhead than the arithmetic.
   * Reads weights and gradients once, writes each weight back once; m and v stay on the host between steps. */
  private applyHost(grads: Record<string, tf.Tensor>): tf.Scalar {
    const o = this.o;
    const b1 = o.beta1 ?? 0.9;
    const b2 = o.beta2 ?? 0.999;
    const eps = o.eps ?? 1e-6;
    const lr = learningRate(this.step, o);
    const t = this.step + 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const noDecay = o.noDecay ?? /(\/bias|\/beta|\/gamma|logVar)$/;
    if (!this.host) {
      this.host = new Map();
      for (const k of this.vars.keys())
        this.host.set(k, { m: this.m.get(k)!.dataSync().slice() as Float32Array, v: this.v.get(k)!.dataSync().slice() as Float32Array });
    }
    const addon = loadFusedCe() as unknown as {
      adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: number[]): void;
    };
    const gs = new Map<string, Float32Array>();
    let sq = 0;
    for (const k of this.vars.keys()) {
      if (!grads[k]) continue;
      const g = grads[k].dataSync() as Float32Array;
      gs.set(k, g);
      for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    }
    const norm = Math.fround(Math.sqrt(sq));
    const clip = o.clipNorm ? Math.min(1, o.clipNorm / (norm + 1e-6)) : 1;
    for (const [k, w] of this.vars) {
      const g = gs.get(k);
      const s = this.scale.get(k)!;
      if (!g || s === 0) continue;
      const { m, v } = this.host.get(k)!;
      const wa = w.dataSync().slice() as Float32Array;
      const decay = o.weightDecay && !noDecay.test(k) ? lr * s * o.weightDecay : 0;
      addon.adamw(wa, g, m, v, [clip, b1, b2, lrT * s, eps, decay]);
      tf.tidy(() => w.assign(tf.tensor(wa, w.shape)));
    }
    this.step++;
    return tf.scalar(norm);
  }

  /** the host m and v back into the variables (before they are read) */
  private syncHost(): void {
    if (!this.host) return;
    for (const [k, { m, v }] of this.host) {
      tf.tidy(() => {
        this.m.get(k)!.assign(tf.tensor(m, this.m.get(k)!.shape));
        this.v.get(k)!.assign(tf.tensor(v, this.v.get(k)!.shape));
      });
    }
  }

  /** optimizer state as named tensors (views of the live variables; do not dispose) */
  state(): tf.NamedTensorMap {
    this.syncHost();
    const out: tf.NamedTensorMap = {};
    for (const [k, m] of this.m) out[`adam/m/${k}`] = m;
    for (const [k, v] of this.v) out[`adam/v/${k}`] = v;
    return out;
  }
  loadState(values: tf.NamedTensorMap, step: number): void {
    this.host = undefined; // re-read from the variables at the next host update
    for (const [k, m] of this.m) if (values[`adam/m/${k}`]) m.assign(values[`adam/m/${k}`]);
    for (const [k, v] of this.v) if (values[`adam/v/${k}`]) v.assign(values[`adam/v/${k}`]);
    this.step = step;
  }
  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
