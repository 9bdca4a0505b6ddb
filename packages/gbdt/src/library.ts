import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import koffi from 'koffi';
import type { LibraryHandle, KoffiFunc } from 'koffi';
import { CfmError, runtimeOptions } from '@cfm/core';

const LIB_FILE = process.platform === 'darwin' ? 'libxgboost.dylib' : 'libxgboost.so';
const LIB_IN_WHEEL = join('xgboost', 'lib', LIB_FILE);

/** Walks up to the npm workspace root (the folder whose package.json has "workspaces"). */
function workspaceRoot(from: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    try {
      if (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).workspaces) return d;
    } catch {
      // no package.json here
    }
    if (dirname(d) === d) return undefined;
  }
}

/** Where libxgboost may be: CFM_XGBOOST_LIB, tools/xgboost in the repo, then the provisioning cache. */
export function libraryCandidates(): string[] {
  // an explicit path is the only candidate, so a wrong one fails instead of silently falling back
  const { CFM_XGBOOST_LIB, CFM_CACHE_DIR } = runtimeOptions();
  if (CFM_XGBOOST_LIB) return [CFM_XGBOOST_LIB];
  const out: string[] = [];
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const start of [here, process.cwd()]) {
    const root = workspaceRoot(start);
    if (root) out.push(join(root, 'tools', 'xgboost', LIB_IN_WHEEL));
  }
  const cache = join(CFM_CACHE_DIR, 'xgboost');
  try {
    for (const v of readdirSync(cache).sort().reverse()) out.push(join(cache, v, LIB_IN_WHEEL));
  } catch {
    // no cache yet
  }
  return [...new Set(out)];
}

const DMatrixHandle = koffi.pointer('DMatrixHandle', koffi.opaque());
const BoosterHandle = koffi.pointer('BoosterHandle', koffi.opaque());
void DMatrixHandle;
void BoosterHandle;

/** The C API functions @cfm/gbdt uses (bst_ulong = uint64_t). Each returns 0 on success. */
const SIGNATURES = {
  XGBGetLastError: 'const char *XGBGetLastError()',
  XGBoostVersion: 'void XGBoostVersion(_Out_ int *major, _Out_ int *minor, _Out_ int *patch)',
  XGDMatrixCreateFromMat:
    'int XGDMatrixCreateFromMat(const float *data, uint64_t nrow, uint64_t ncol, float missing, _Out_ DMatrixHandle *out)',
  XGDMatrixSetFloatInfo: 'int XGDMatrixSetFloatInfo(DMatrixHandle handle, const char *field, const float *array, uint64_t len)',
  XGDMatrixSetUIntInfo: 'int XGDMatrixSetUIntInfo(DMatrixHandle handle, const char *field, const uint32_t *array, uint64_t len)',
  XGDMatrixFree: 'int XGDMatrixFree(DMatrixHandle handle)',
  XGBoosterCreate: 'int XGBoosterCreate(DMatrixHandle *dmats, uint64_t len, _Out_ BoosterHandle *out)',
  XGBoosterFree: 'int XGBoosterFree(BoosterHandle handle)',
  XGBoosterSetParam: 'int XGBoosterSetParam(BoosterHandle handle, const char *name, const char *value)',
  XGBoosterUpdateOneIter: 'int XGBoosterUpdateOneIter(BoosterHandle handle, int iter, DMatrixHandle dtrain)',
  XGBoosterEvalOneIter:
    'int XGBoosterEvalOneIter(BoosterHandle handle, int iter, DMatrixHandle *dmats, const char **names, uint64_t len, _Out_ const char **out)',
  XGBoosterPredict:
    'int XGBoosterPredict(BoosterHandle handle, DMatrixHandle dmat, int optionMask, uint32_t ntreeLimit, int training, _Out_ uint64_t *outLen, _Out_ const float **outResult)',
  XGBoosterSlice: 'int XGBoosterSlice(BoosterHandle handle, int beginLayer, int endLayer, int step, _Out_ BoosterHandle *out)',
  XGBoosterBoostedRounds: 'int XGBoosterBoostedRounds(BoosterHandle handle, _Out_ int *out)',
  XGBoosterGetNumFeature: 'int XGBoosterGetNumFeature(BoosterHandle handle, _Out_ uint64_t *out)',
  XGBoosterSaveModel: 'int XGBoosterSaveModel(BoosterHandle handle, const char *fname)',
  XGBoosterLoadModel: 'int XGBoosterLoadModel(BoosterHandle handle, const char *fname)',
  XGBoosterSetAttr: 'int XGBoosterSetAttr(BoosterHandle handle, const char *key, const char *value)',
  XGBoosterGetAttr: 'int XGBoosterGetAttr(BoosterHandle handle, const char *key, _Out_ const char **out, _Out_ int *success)',
} as const;

// koffi's bound functions are variadic any-typed; `.async` runs the call on a worker thread
type Native = Record<keyof typeof SIGNATURES, KoffiFunc<(...args: unknown[]) => unknown>>;

export interface XgbLibrary {
  path: string;
  version: string;
  fn: Native;
  /** calls a C API function and turns a non-zero status into CfmError('CFM_E_BACKEND') with XGBoost's message */
  call(name: CallName, ...args: unknown[]): void;
  /** the same on koffi's worker thread (not for training: XGBoost's random engine is thread-local) */
  callAsync(name: CallName, ...args: unknown[]): Promise<void>;
}
type CallName = Exclude<keyof typeof SIGNATURES, 'XGBGetLastError' | 'XGBoostVersion'>;

let loaded: XgbLibrary | undefined;

/** libxgboost, loaded once per process; throws CfmError('CFM_E_BACKEND') naming the fix when it is missing. */
export function xgboost(): XgbLibrary {
  loaded ??= loadXgboost(libraryCandidates());
  return loaded;
}

/** Loads the first existing library among candidates (no caching). */
export function loadXgboost(candidates: string[]): XgbLibrary {
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new CfmError(
      'CFM_E_BACKEND',
      `libxgboost not found (looked in ${candidates.join(', ') || 'no place'}); run \`bash infra/xgboost/provision.sh\` (or npm run setup), or set CFM_XGBOOST_LIB to the library file`,
      { field: 'CFM_XGBOOST_LIB' },
    );
  }
  // libgomp reads this once at load: spinning OpenMP threads slow training ~30x on a busy machine
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new CfmError(
      'CFM_E_BACKEND',
      `libxgboost at ${path} failed to load (${(e as Error).message}); re-run \`bash infra/xgboost/provision.sh\``,
      { file: path },
    );
  }
  const fn = Object.fromEntries(Object.entries(SIGNATURES).map(([k, sig]) => [k, lib.func(sig)])) as Native;
  const [major, minor, patch] = [[0], [0], [0]];
  fn.XGBoostVersion(major, minor, patch);
  // XGBGetLastError is thread-local: after an async call the message may be on the worker thread
  const failure = (name: string) => {
    const msg = String(fn.XGBGetLastError() ?? '')
      .split('\n')[0]
      .replace(/^\[[\d:]+\]\s*/, '');
    return new CfmError('CFM_E_BACKEND', `${name} failed${msg ? `: ${msg}` : ''}`);
  };
  const call: XgbLibrary['call'] = (name, ...args) => {
    if (fn[name](...args) !== 0) throw failure(name);
  };
  const callAsync: XgbLibrary['callAsync'] = (name, ...args) =>
    new Promise((resolve, reject) => {
      fn[name].async(...args, (err: unknown, status: unknown) => (err ? reject(err) : status !== 0 ? reject(failure(name)) : resolve()));
    });
  return { path, version: `${major[0]}.${minor[0]}.${patch[0]}`, fn, call, callAsync };
}
