// Not workflow code (index.ts never imports it): the webpack config hook for Temporal's workflow bundler.

interface WebpackConfig {
  resolve?: { conditionNames?: string[] };
}

/**
 * Temporal's bundler (webpack) resolves `@cfm/*` the way this code runs: run from TypeScript (tsx, vitest), it takes
 * each package's sources through the "@cfm/source" export condition; run from the built JavaScript, the built files.
 * Pass as `webpackConfigHook` (bundleWorkflowCode) or `bundlerOptions.webpackConfigHook` (Worker.create).
 */
export function resolveLikeThisProcess<C extends WebpackConfig>(config: C): C {
  if (!__filename.endsWith('.ts')) return config;
  return { ...config, resolve: { ...config.resolve, conditionNames: ['@cfm/source', '...'] } };
}
