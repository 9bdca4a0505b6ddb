/** Kernels that training needs but the wasm backend lacks. Registered once, idempotently, by
 * `registerWasmKernels()` (call it after the wasm backend is imported; initBackend does).
 * Each is tested against the cpu backend in wasm-kernels.test.ts. */
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

/** UnsortedSegmentSum: the gradient of every gather / embedding lookup.
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids out of range are dropped (as TensorFlow does). */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const x = args.inputs.x!;
  const segmentIds = args.inputs.segmentIds!;
  const numSegments = args.attrs!.numSegments as number;
  const backend = args.backend as WasmBackendLike;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const inner = outShape.slice(1).reduce((a, b) => a * b, 1);
  // allocate first: makeOutput may grow wasm memory and detach earlier views
  const out = backend.makeOutput(outShape, x.dtype);
  const outV = backend.typedArrayFromHeap(out);
  const xV = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outV.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const xi = i * inner;
    for (let j = 0; j < inner; j++) outV[o + j] += xV[xi + j];
  }
  return out;
}

const KERNELS: tf.KernelConfig[] = [
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc },
];

export function registerWasmKernels(): void {
  for (const k of KERNELS) {
    if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  }
}
