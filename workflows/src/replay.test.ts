import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

// Histories recorded once from real runs (apps/worker integration tests with CFM_RECORD_HISTORIES=1).
// Replaying them against today's workflow code fails on any non-deterministic change.
const dir = join(__dirname, '..', 'test', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => expect(files.length).toBeGreaterThan(0));
  it.each(files)('replays %s deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowsPath: join(__dirname, 'index.ts'), replayName: file },
      history,
    );
  }, 60_000);
});
