/** Named trainable variables with seeded initialisers, and the forward-pass context.
 * Layers are small classes that create their variables in a `Params` store under a name prefix;
 * the store is what the trainer optimises and what checkpoints / artifacts save. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, createRng, type Rng } from '@cfm/core';

export type Init = 'truncatedNormal' | 'glorot' | 'zeros' | 'ones';

export class Params {
  readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;
  constructor(
    seed: number,
    readonly initStd = 0.02,
  ) {
    this.rng = createRng(seed).fork('params');
  }

  /** create (once) the variable `name` of `shape`; names must be unique */
  add(name: string, shape: number[], init: Init = 'truncatedNormal', trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new CfmError('CFM_E_STATE', `parameter "${name}" defined twice`);
    const seed = this.rng.fork(name).int(2 ** 31);
    const value = tf.tidy(() => {
      if (init === 'zeros') return tf.zeros(shape);
      if (init === 'ones') return tf.ones(shape);
      if (init === 'glorot') {
        const fanIn = shape.length > 1 ? shape[shape.length - 2] : shape[0];
        const fanOut = shape[shape.length - 1];
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        return tf.randomUniform(shape, -limit, limit, 'float32', seed);
      }
      return tf.truncatedNormal(shape, 0, this.initStd, 'float32', seed);
    });
    const v = tf.variable(value, trainable, `${name}_${Params.uid++}`);
    value.dispose();
    this.vars.set(name, v);
    return v;
  }
  private static uid = 0;

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new CfmError('CFM_E_STATE', `unknown parameter "${name}"`);
    return v;
  }
  trainable(): Map<string, tf.Variable> {
    return new Map([...this.vars].filter(([, v]) => v.trainable));
  }
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }
  /** copies of all values keyed by name (caller disposes) */
  snapshot(): tf.NamedTensorMap {
    return Object.fromEntries([...this.vars].map(([k, v]) => [k, v.clone()]));
  }
  /** assign values by name; every parameter must be present with the same shape */
  assign(values: tf.NamedTensorMap, source = 'weights'): void {
    for (const [name, v] of this.vars) {
      const t = values[name];
      if (!t) throw new CfmError('CFM_E_ARTIFACT', `missing parameter "${name}"`, { file: source, field: name });
      if (t.shape.join() !== v.shape.join())
        throw new CfmError('CFM_E_ARTIFACT', `shape [${t.shape}] != [${v.shape}]`, { file: source, field: name });
      v.assign(t);
    }
  }
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** Forward-pass context: training flag and a deterministic stream of dropout seeds. */
export class Ctx {
  private n = 0;
  constructor(
    readonly training: boolean,
    private readonly seed = 0,
  ) {}
  static inference(): Ctx {
    return new Ctx(false);
  }
  /** a fresh seed for one random op, or undefined at inference */
  nextSeed(): number | undefined {
    if (!this.training) return undefined;
    return (Math.imul(this.seed + 1, 2654435761) + Math.imul(++this.n, 40503)) >>> 1;
  }
}
