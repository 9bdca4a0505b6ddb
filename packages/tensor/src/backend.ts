/** TF.js backend selection: native TensorFlow (tfjs-node-gpu → tfjs-node) → wasm → cpu.
 * Everyone imports '@tensorflow/tfjs' and awaits initBackend() first. The native packages are
 * optional: they are loaded by name at run time and must share the one hoisted tfjs-core. */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BACKENDS, CfmError, runtimeOptions } from '@cfm/core';
import { registerWasmKernels } from './wasm-kernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu'; // 'tensorflow' = tfjs-node or tfjs-node-gpu
export interface BackendInfo {
  name: BackendName;
  gpu: boolean;
  reason: string;
}
export interface InitBackendOptions {
  prefer?: BackendName | 'auto';
  quiet?: boolean;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const req = createRequire(__filename);

let current: BackendInfo | undefined;
let pending: { key: string; promise: Promise<BackendInfo> } | undefined;
let nativeLoaded: { pkg: string; gpu: boolean } | undefined;

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/** The preference from opts or the runtime option CFM_BACKEND (an unknown value of either is a configuration error). */
export function resolvePreference(opts: InitBackendOptions = {}): BackendName | 'auto' {
  if (opts.prefer === undefined) return runtimeOptions().CFM_BACKEND;
  const v = opts.prefer.trim().toLowerCase() as BackendName | 'auto';
  if (BACKENDS.includes(v)) return v;
  throw new CfmError('CFM_E_CONFIG', `unknown backend "${opts.prefer}" (expected ${BACKENDS.join(', ')})`, { field: 'prefer' });
}

/** Loads tfjs-node-gpu or tfjs-node once; registers the 'tensorflow' backend into the hoisted tfjs-core. */
export function loadNative(): { pkg: string; gpu: boolean } {
  if (nativeLoaded) return nativeLoaded;
  const coreHere = req.resolve('@tensorflow/tfjs-core');
  const errors: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    let entry: string;
    try {
      entry = req.resolve(pkg);
    } catch {
      errors.push(`${pkg} not installed`);
      continue;
    }
    // Two copies of tfjs-core would register the backend where our tf cannot see it.
    const coreThere = createRequire(entry).resolve('@tensorflow/tfjs-core');
    if (coreThere !== coreHere) {
      errors.push(`${pkg} uses a second tfjs-core copy (${coreThere})`);
      continue;
    }
    // The package registers its kernels before it loads its addon, so a package whose addon is missing or
    // cannot load (no libtensorflow, no CUDA) must never be required: load the addon alone first.
    let gpuDevice = false;
    try {
      // INFO lines of the TensorFlow runtime (oneDNN, CPU features) would break the one-line contract
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
      const pkgJson = createRequire(entry).resolve(`${pkg}/package.json`);
      const preGyp = createRequire(pkgJson)('@mapbox/node-pre-gyp') as { find(p: string): string };
      const addonPath = preGyp.find(pkgJson);
      if (!existsSync(addonPath)) {
        errors.push(`${pkg} addon not built (${relative(dirname(pkgJson), addonPath)} missing; infra/tfjs-native/provision.sh builds it)`);
        continue;
      }
      const addon = req(addonPath) as { isUsingGpuDevice?: () => boolean };
      gpuDevice = addon.isUsingGpuDevice?.() ?? false;
    } catch (e) {
      errors.push(`${pkg}: ${firstLine(e)}`);
      continue;
    }
    try {
      req(pkg);
    } catch (e) {
      errors.push(`${pkg}: ${firstLine(e)}`);
      continue;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      errors.push(`${pkg} loaded but registered no 'tensorflow' backend`);
      continue;
    }
    nativeLoaded = { pkg, gpu: gpuDevice };
    return nativeLoaded;
  }
  throw new CfmError('CFM_E_BACKEND', `native TensorFlow not installed: ${errors.join('; ')}`);
}

let wasmPathsSet = false;
function prepareWasm(): void {
  if (wasmPathsSet) return;
  // In Node the .wasm binaries are read from the package's dist folder (trailing slash: prefix).
  setWasmPaths(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  registerWasmKernels(); // UnsortedSegmentSum (gradient of every gather) and others the wasm backend lacks
  wasmPathsSet = true;
}

async function activate(name: BackendName): Promise<void> {
  if (name === 'wasm') prepareWasm();
  const ok = await tf.setBackend(name);
  if (!ok) throw new CfmError('CFM_E_BACKEND', `backend "${name}" failed to initialise`);
  await tf.ready();
}

async function select(prefer: BackendName | 'auto'): Promise<BackendInfo> {
  let nativeWhy = '';
  if (prefer === 'auto' || prefer === 'tensorflow') {
    try {
      const n = loadNative();
      await activate('tensorflow');
      const reason = prefer === 'auto' ? `${n.pkg}, fastest available` : `${n.pkg}, requested`;
      return { name: 'tensorflow', gpu: n.gpu, reason };
    } catch (e) {
      if (prefer === 'tensorflow') throw e instanceof CfmError ? e : new CfmError('CFM_E_BACKEND', firstLine(e));
      nativeWhy = firstLine(e).replace(/^\[CFM_E_BACKEND\] /, '');
      if (!nativeWhy.startsWith('native TensorFlow')) nativeWhy = `native TensorFlow failed: ${nativeWhy}`;
    }
  }
  if (prefer === 'auto' || prefer === 'wasm') {
    try {
      await activate('wasm');
      return { name: 'wasm', gpu: false, reason: prefer === 'wasm' ? 'requested' : nativeWhy };
    } catch (e) {
      if (prefer === 'wasm') throw e instanceof CfmError ? e : new CfmError('CFM_E_BACKEND', firstLine(e));
      nativeWhy += `; wasm failed: ${firstLine(e)}`;
    }
  }
  await activate('cpu');
  return { name: 'cpu', gpu: false, reason: prefer === 'cpu' ? 'requested' : nativeWhy };
}

/** Picks tfjs-node-gpu → tfjs-node → wasm → cpu (override: opts.prefer or CFM_BACKEND=tensorflow|wasm|cpu, docs/runtime.md),
 * logs one line "backend: wasm (native TensorFlow not installed: …)" once, idempotent.
 * A later call with a different preference switches backend; an explicit preference that cannot load throws
 * CfmError CFM_E_BACKEND, while 'auto' always falls back. */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const prefer = resolvePreference(opts);
  if (pending && (pending.key === prefer || (prefer === 'auto' && current))) return pending.promise;
  const promise = select(prefer).then((info) => {
    const changed = !current || current.name !== info.name;
    current = info;
    if (changed && !opts.quiet) process.stderr.write(`backend: ${info.name}${info.gpu ? ' (gpu)' : ''} (${info.reason})\n`);
    return info;
  });
  pending = { key: prefer, promise };
  promise.catch(() => {
    if (pending?.promise === promise) pending = undefined;
  });
  return promise;
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}
