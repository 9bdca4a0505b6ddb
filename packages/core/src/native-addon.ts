/**
 * One loader for cfm's native addons (the CSV scan of @cfm/data, the CPU kernels of @cfm/tensor): where an addon is,
 * whether it loads, and one message naming what to run when it does not. An addon is `tools/<dir>/<file>`, found
 * upwards from the calling package's own folder: from an installed package's dist/ the first place looked is
 * dist/tools/<dir>/ (shipped there by scripts/ship-addon.mjs), from the workspace's sources the repository's
 * tools/<dir>/ (built by infra/<dir>/provision.sh); an explicit path (CFM_NATIVE_DATA, CFM_NATIVE_KERNELS) wins.
 * A missing or unloadable addon is never an error: the caller falls back to its portable path (docs/conventions.md,
 * "Packages").
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface NativeAddonSpec<T> {
  /** who loads it, the prefix of its messages ('data', 'tensor') */
  label: string;
  /** its folder under tools/ ('native-data') */
  dir: string;
  /** its file there ('cfm_data.node') */
  file: string;
  /** the loading package's own folder (its __dirname): the search starts there */
  from: string;
  /** an explicit path, when one is set (it is then the only place looked) */
  explicit?: string;
  /** the variable that sets `explicit`, named in the messages */
  explicitVar: string;
  /** what the caller does without the addon ('every file is read with DuckDB') */
  fallback: string;
  /** why a loaded addon cannot be used (an older build), else undefined */
  check?: (exports: T) => string | undefined;
}

/** The result of one look for an addon: the loaded exports, or why there are none (with the path when one was found). */
export type NativeAddon<T> = { addon: T; path: string } | { addon: null; path?: string; why: string };

const loaded = new Map<string, NativeAddon<unknown>>();

/** The addon's path: `explicit`, else tools/<dir>/<file> upwards from `from`; undefined when there is none. */
export function nativeAddonPath(spec: Pick<NativeAddonSpec<unknown>, 'dir' | 'file' | 'from' | 'explicit'>): string | undefined {
  if (spec.explicit) return resolve(spec.explicit);
  for (let d = resolve(spec.from); ; d = dirname(d)) {
    const p = join(d, 'tools', spec.dir, spec.file);
    if (existsSync(p)) return p;
    if (dirname(d) === d) return undefined;
  }
}

/** What to run for an addon that is missing or stale (the same words in every message). */
export function nativeAddonRemedy(spec: Pick<NativeAddonSpec<unknown>, 'dir' | 'explicitVar'>): string {
  return `run bash infra/${spec.dir}/provision.sh, or set ${spec.explicitVar} to a built one`;
}

/**
 * Load the addon once per path (never throws). A missing addon is quiet (`why` says what to run); one that is found
 * but does not load, or fails `check`, is reported once on stderr as `<label>: <path> <why>; <fallback>`.
 */
export function loadNativeAddon<T>(spec: NativeAddonSpec<T>): NativeAddon<T> {
  const path = nativeAddonPath(spec);
  const key = path ?? `missing:${spec.dir}/${spec.file}:${spec.from}`;
  const cached = loaded.get(key);
  if (cached) return cached as NativeAddon<T>;
  const result = ((): NativeAddon<T> => {
    const remedy = nativeAddonRemedy(spec);
    if (!path) return { addon: null, why: `no native addon tools/${spec.dir}/${spec.file} (${remedy})` };
    let why: string | undefined;
    try {
      const m = { exports: {} as T };
      process.dlopen(m, path);
      why = spec.check?.(m.exports);
      if (!why) return { addon: m.exports, path };
    } catch (e) {
      why = `did not load (${(e as Error).message.split('\n')[0]})`;
    }
    process.stderr.write(`${spec.label}: ${path} ${why} (${remedy}); ${spec.fallback}\n`);
    return { addon: null, path, why: `${path} ${why}` };
  })();
  loaded.set(key, result);
  return result;
}
