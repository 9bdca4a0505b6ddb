/** Linear layer + softmax cross-entropy in one native CPU kernel (packages/tensor/native/fused_ce.cc, built by
 * infra/native-kernels/provision.sh into tools/native-kernels/). The [N, V] logits are made and consumed a chunk of rows at a
 * time in cache, so a tied-output step never writes or re-reads them; on the BERT4Rec bench step those passes
 * were most of the time (`npm run bench:train` measures the step). Used on the CPU native TensorFlow backend when the addon is
 * built; everywhere else (wasm, cpu, GPU, addon missing, CFM_FUSED_CE=0) the same loss runs as TF.js ops. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, loadNativeAddon, nativeAddonPath, runtimeOptions } from '@cfm/core';
import { backendInfo } from './backend';
import { matmul2d } from './ops';
import { softmaxCrossEntropy } from './losses';

interface Addon {
  run(
    z: Float32Array,
    w: Float32Array,
    labels: Int32Array,
    weights: Float32Array,
    dz: Float32Array,
    dw: Float32Array,
    loss: Float32Array,
    n: number,
    k: number,
    v: number,
    threads: number,
    chunk: number,
  ): void;
}

/** How the addon is found (the loader in @cfm/core). */
const addonSpec = () => ({
  label: 'tensor',
  dir: 'native-kernels',
  file: 'cfm_kernels.node',
  from: __dirname,
  explicit: runtimeOptions().CFM_NATIVE_KERNELS,
  explicitVar: 'CFM_NATIVE_KERNELS',
  fallback: 'using TF.js ops',
});

/** tools/native-kernels/cfm_kernels.node of the installed package or the repository, or CFM_NATIVE_KERNELS */
export function fusedCeAddonPath(): string | undefined {
  return nativeAddonPath(addonSpec());
}

/** the addon when it is built and loads, else null (never throws) */
export function loadFusedCe(): Addon | null {
  return loadNativeAddon<Addon>(addonSpec()).addon;
}

/** true when the native CPU kernels can run: CPU native TensorFlow (not GPU) and the addon built */
export function nativeKernelsReady(): boolean {
  const b = backendInfo();
  return b?.name === 'tensorflow' && !b.gpu && tf.getBackend() === 'tensorflow' && loadFusedCe() !== null;
}

/** true when linearSoftmaxCE runs the native kernel (CFM_FUSED_CE=0 turns it off) */
export function fusedCeActive(): boolean {
  return runtimeOptions().CFM_FUSED_CE && nativeKernelsReady();
}

/** mean softmax cross-entropy of logits z · wᵀ ([N, K] · [V, K]ᵀ) against labels [N], rows whose label is
 * `ignoreLabel` left out (null: none) — the same value and gradients as softmaxCrossEntropy(matmul2d(z, wᵀ), …) */
export function linearSoftmaxCE(z: tf.Tensor2D, w: tf.Tensor2D, labels: tf.Tensor, ignoreLabel: number | null = 0): tf.Scalar {
  if (!fusedCeActive()) return tf.tidy(() => softmaxCrossEntropy(matmul2d(z, tf.transpose(w) as tf.Tensor2D), labels, ignoreLabel));
  const [n, k] = z.shape;
  const v = w.shape[0];
  if (w.shape[1] !== k) throw new CfmError('CFM_E_CONFIG', `linearSoftmaxCE: z is [${n}, ${k}] but w is [${v}, ${w.shape[1]}]`);
  const lab = Int32Array.from(labels.dataSync());
  if (lab.length !== n) throw new CfmError('CFM_E_CONFIG', `linearSoftmaxCE: ${lab.length} labels for ${n} rows`);
  let kept = n;
  if (ignoreLabel !== null) kept = lab.reduce((c, l) => c + (l === ignoreLabel ? 0 : 1), 0);
  const { CFM_FUSED_CE_THREADS: threads, CFM_FUSED_CE_CHUNK: chunk } = runtimeOptions();
  const weights = new Float32Array(n).map((_, i) => (ignoreLabel !== null && lab[i] === ignoreLabel ? 0 : 1 / Math.max(kept, 1)));
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [zt, wt] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const dz = new Float32Array(n * k);
    const dw = new Float32Array(v * k);
    const rows = new Float32Array(n);
    loadFusedCe()!.run(zt.dataSync() as Float32Array, wt.dataSync() as Float32Array, lab, weights, dz, dw, rows, n, k, v, threads, chunk);
    let loss = 0;
    for (let i = 0; i < n; i++) loss += weights[i] * rows[i];
    const g = [tf.tensor2d(dz, [n, k]), tf.tensor2d(dw, [v, k])];
    save(g);
    return { value: tf.scalar(loss), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((s) => tf.mul(s, dy)) };
  });
  return f(z, w) as tf.Scalar;
}
