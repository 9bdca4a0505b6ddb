import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { resolveLikeThisProcess } from './bundler';

// Histories recorded once from real runs (apps/worker integration tests with CFM_RECORD_HISTORIES=1).
// Replaying them against today's workflow code fails on any non-deterministic change.
const dir = join(__dirname, '..', 'test', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)(
    'replays %s deterministically',
    async (file) => {
      // toObject form (see apps/worker/test/harness.ts recordHistory); not proto3 JSON: historyFromJSON
      // trips over the two protobufjs copies installed here (7.x for grpc, 8.x for @temporalio/proto)
      const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      await Worker.runReplayHistory(
        { workflowsPath: join(__dirname, 'index.ts'), replayName: file, bundlerOptions: { webpackConfigHook: resolveLikeThisProcess } },
        history,
        file.replace(/\.json$/, ''), // the file is named after the workflow id (child ids derive from it)
      );
    },
    60_000,
  );
});
