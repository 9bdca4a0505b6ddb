/** Kernels that only native TensorFlow has, called through tfjs-node's op binding (`executeSingleOutput`) and
 * registered under cfm's own kernel names for the 'tensorflow' backend (tfjs-node and tfjs-node-gpu):
 * - CfmStatelessUniform: TensorFlow's StatelessRandomUniform (Philox, a pure function of the seed), for dropout
 *   masks; tf.randomUniform fills its buffer in JavaScript, which was 40 % of a BERT4Rec forward pass.
 * Callers check `hasNativeKernels()` and keep a portable path for wasm and cpu. */
import * as tf from '@tensorflow/tfjs';

export const UNIFORM = 'CfmStatelessUniform';

type Attr = { name: string; type: number; value: number };
interface NativeBackendLike {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: Attr[], inputs: tf.TensorInfo[]): tf.Tensor;
}
type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/** the two 31-bit halves of a seed (any safe integer) */
export function seedPair(seed: number): [number, number] {
  const s = Math.abs(Math.trunc(seed));
  return [s % 2 ** 31, Math.floor(s / 2 ** 31) % 2 ** 31];
}

function typeAttr(be: NativeBackendLike, name: string, dtype: 'float32' | 'int32'): Attr {
  const b = be.binding;
  return { name, type: b.TF_ATTR_TYPE, value: dtype === 'float32' ? b.TF_FLOAT : b.TF_INT32 };
}

function uniformKernel(args: KernelArgs): tf.TensorInfo {
  const be = args.backend as NativeBackendLike;
  const shapeT = tf.tensor1d(args.attrs!.shape as number[], 'int32');
  const seedT = tf.tensor1d(seedPair(args.attrs!.seed as number), 'int32');
  const attrs = [typeAttr(be, 'dtype', 'float32'), typeAttr(be, 'T', 'int32'), typeAttr(be, 'Tseed', 'int32')];
  const out = be.executeSingleOutput('StatelessRandomUniform', attrs, [shapeT, seedT]);
  tf.dispose([shapeT, seedT]);
  return out;
}

let registered = false;
/** idempotent; runs on import of @cfm/tensor */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  const add = (kernelName: string, f: unknown) => {
    if (!tf.getKernel(kernelName, 'tensorflow'))
      tf.registerKernel({ kernelName, backendName: 'tensorflow', kernelFunc: f as tf.KernelFunc });
  };
  add(UNIFORM, uniformKernel);
}

/** true when the active backend is native TensorFlow (these kernels run) */
export function hasNativeKernels(): boolean {
  registerNativeKernels();
  return tf.getBackend() === 'tensorflow';
}
