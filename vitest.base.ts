import { mergeConfig, type ViteUserConfig } from 'vitest/config';

/** The export condition that maps each workspace package to its TypeScript sources (docs/conventions.md). */
export const SOURCE_CONDITION = '@cfm/source';

/** Node's --conditions flag for the processes a test starts (tsx children, worker threads): they resolve sources too. */
function nodeOptions(): string {
  const flag = `--conditions=${SOURCE_CONDITION}`;
  const current = process.env.NODE_OPTIONS ?? '';
  return current.includes(flag) ? current : `${current} ${flag}`.trim();
}

/**
 * A package's vitest config: `@cfm/*` imports resolve to src/, so tests run from TypeScript without a build. (Vitest
 * appends its own server conditions to the list.)
 */
export function withSource(config: ViteUserConfig = {}): ViteUserConfig {
  const base: ViteUserConfig = {
    ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
    test: { env: { NODE_OPTIONS: nodeOptions() } },
  };
  return mergeConfig(base, config);
}
