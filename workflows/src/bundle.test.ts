import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode } from '@temporalio/worker';
import { join } from 'node:path';
import { resolveLikeThisProcess } from './bundler';

// The bundler is our determinism lint: it refuses node built-ins and anything non-deterministic
// that workflow code must not import. Workspace packages resolve to their TypeScript sources.
describe('workflow bundle', () => {
  it('bundles the workflow sources (contracts included) without forbidden imports', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: join(__dirname, 'index.ts'),
      logger: quiet,
      webpackConfigHook: resolveLikeThisProcess,
    });
    expect(code).toContain('retrainWorkflow');
    expect(code).toContain('backfillWorkflow');
    expect(code).toContain('retrainPlan');
    // nothing heavy came along through @cfm/contracts
    const modules = [...code.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)/g)].map((m) => m[1]);
    const heavy = [...new Set(modules)].filter((m) => /^(@tensorflow|@duckdb|apache-arrow|seedrandom|zod)/.test(m));
    expect(heavy).toEqual([]);
    expect(new Set(modules).has('@temporalio/workflow')).toBe(true);
  }, 60_000);
  it('fails for workflow code that imports a node built-in', async () => {
    await expect(
      bundleWorkflowCode({
        workflowsPath: join(__dirname, '..', 'test', 'fixtures', 'bad-workflow.ts'),
        logger: quiet,
        webpackConfigHook: resolveLikeThisProcess,
      }),
    ).rejects.toThrow(/fs/);
  }, 60_000);
});

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
