/** Backend for unit tests: CFM_TEST_BACKEND (default wasm, with our extra kernels), set once per process. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './wasm-kernels';

export async function initTestBackend(name = process.env.CFM_TEST_BACKEND ?? 'wasm'): Promise<string> {
  registerWasmKernels();
  if (tf.getBackend() !== name) await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}
