#!/usr/bin/env tsx
// The prebuilt workflow bundle that production workers load (`cfm-worker --bundle <file>`), so they never
// bundle at start-up: one JavaScript file made by @temporalio/worker's bundleWorkflowCode from src/index.ts.
//   npx tsx workflows/scripts/bundle.ts [--out workflows/dist/workflow-bundle.js]
// Prints the file, its size and sha256. The images run it (infra/docker/provision-image.sh).
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveLikeThisProcess } from '../src/bundler';

export const DEFAULT_BUNDLE = resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Bundles workflows/src/index.ts into `out` (written beside it, then renamed: a reader never sees half a file). */
export async function writeWorkflowBundle(out: string = DEFAULT_BUNDLE): Promise<{ path: string; bytes: number; sha256: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(__dirname, '..', 'src', 'index.ts'),
    logger: quiet,
    webpackConfigHook: resolveLikeThisProcess,
  });
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, path);
  return { path, bytes: Buffer.byteLength(code), sha256: createHash('sha256').update(code).digest('hex') };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--out');
  if (args.some((a, k) => a !== '--out' && k !== i + 1) || (i >= 0 && !args[i + 1])) {
    process.stderr.write('usage: bundle.ts [--out <file>]\n');
    process.exit(2);
  }
  writeWorkflowBundle(i >= 0 ? args[i + 1] : DEFAULT_BUNDLE).then(
    (b) => process.stdout.write(`workflow bundle: ${b.path} (${b.bytes} bytes, sha256 ${b.sha256})\n`),
    (e: unknown) => {
      process.stderr.write(`workflow bundle: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
