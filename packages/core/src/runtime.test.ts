import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCfmError, parseRuntimeOptions, resetRuntimeOptions, runtimeOptions } from './index';

const failure = (env: Record<string, string>) => {
  try {
    parseRuntimeOptions(env);
  } catch (e) {
    if (!isCfmError(e)) throw e;
    return { code: e.code, field: e.location.field, message: e.message };
  }
  throw new Error(`${JSON.stringify(env)} parsed`);
};

describe('runtime options', () => {
  afterEach(() => {
    delete process.env.CFM_FUSED_CE_THREADS;
    resetRuntimeOptions();
  });

  it('gives every default when nothing is set', () => {
    const o = parseRuntimeOptions({});
    expect(o).toMatchObject({
      CFM_BACKEND: 'auto',
      CFM_FUSED_CE: true,
      CFM_FUSED_HEAD: true,
      CFM_FUSED_BLOCK: true,
      CFM_FUSED_EMBED: true,
      CFM_HOST_ADAM: true,
      CFM_FUSED_CE_THREADS: 2,
      CFM_FUSED_CE_CHUNK: 256,
      CFM_NATIVE_SCAN: true,
      CFM_DEBUG_TIMING: false,
      CFM_CACHE_DIR: join(homedir(), '.cache', 'cfm'),
    });
    expect(o.CFM_NATIVE_SCAN_THREADS).toBeGreaterThanOrEqual(1);
    expect(o.CFM_NATIVE_SCAN_THREADS).toBeLessThanOrEqual(8);
    for (const k of [
      'CFM_DATA_DIR',
      'CFM_XGBOOST_LIB',
      'CFM_NATIVE_KERNELS',
      'CFM_NATIVE_DATA',
      'CFM_REGISTRY_URL',
      'CFM_CODE_VERSION',
    ] as const)
      expect(o[k]).toBeUndefined();
  });

  it('reads overrides; blank means unset; other variables are ignored', () => {
    const o = parseRuntimeOptions({
      CFM_BACKEND: ' WASM ',
      CFM_FUSED_CE: '0',
      CFM_HOST_ADAM: 'off',
      CFM_DEBUG_TIMING: 'yes',
      CFM_FUSED_CE_THREADS: '4',
      CFM_NATIVE_SCAN_THREADS: ' 5 ',
      CFM_FUSED_CE_CHUNK: ' ',
      CFM_DATA_DIR: '/data',
      CFM_CACHE_DIR: '/cache',
      PATH: '/bin',
      CFM_S3_PART_MB: 'x',
    });
    expect(o).toMatchObject({
      CFM_BACKEND: 'wasm',
      CFM_FUSED_CE: false,
      CFM_HOST_ADAM: false,
      CFM_DEBUG_TIMING: true,
      CFM_FUSED_CE_THREADS: 4,
      CFM_NATIVE_SCAN_THREADS: 5,
      CFM_FUSED_CE_CHUNK: 256,
      CFM_DATA_DIR: '/data',
      CFM_CACHE_DIR: '/cache',
    });
    expect(Object.keys(o)).not.toContain('PATH');
  });

  it.each([
    ['CFM_BACKEND', 'cuda'],
    ['CFM_FUSED_CE', 'maybe'],
    ['CFM_FUSED_CE_THREADS', '0'],
    ['CFM_FUSED_CE_CHUNK', '2.5'],
    ['CFM_NATIVE_SCAN_THREADS', 'many'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    const f = failure({ CFM_FUSED_HEAD: '1', [name]: value });
    expect(f.code).toBe('CFM_E_CONFIG');
    expect(f.field).toBe(name);
    expect(f.message).toContain(`${name}="${value}"`);
  });

  it('parses process.env once, until reset', () => {
    process.env.CFM_FUSED_CE_THREADS = '3';
    resetRuntimeOptions();
    const a = runtimeOptions();
    expect(a.CFM_FUSED_CE_THREADS).toBe(3);
    process.env.CFM_FUSED_CE_THREADS = '5';
    expect(runtimeOptions()).toBe(a);
    resetRuntimeOptions();
    expect(runtimeOptions().CFM_FUSED_CE_THREADS).toBe(5);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('fails on first use when process.env holds a bad value', () => {
    process.env.CFM_FUSED_CE_THREADS = '-1';
    resetRuntimeOptions();
    expect(() => runtimeOptions()).toThrow(/field "CFM_FUSED_CE_THREADS"/);
  });
});
