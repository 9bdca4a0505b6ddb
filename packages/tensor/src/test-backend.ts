/** Backend for unit tests: CFM_TEST_BACKEND (default wasm, with our extra kernels), set once per process.
 * `tensorflow` goes through initBackend (native TensorFlow, provisioned by infra/tfjs-native); CI sets it
 * when the native backend is installed, so the suites run on the backend production uses. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend } from './backend';
import { registerWasmKernels } from './wasm-kernels';

export async function initTestBackend(name = process.env.CFM_TEST_BACKEND ?? 'wasm'): Promise<string> {
  registerWasmKernels();
  if (name === 'tensorflow') {
    await initBackend({ prefer: 'tensorflow', quiet: true });
    return tf.getBackend();
  }
  if (tf.getBackend() !== name) await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}
