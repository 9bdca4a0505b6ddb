/** The prep fanned out over customer shards as parallel activities gives the single prep's data, and the same model. */
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTestBackend } from '@cfm/tensor/testing';
import { readLedger } from './activities';
import { resolveRunSpec } from './config';
import { runPipeline } from './runner';
import { realSteps } from './steps';

const root = mkdtempSync(join(tmpdir(), 'cfm-sharded-run-'));
beforeAll(() => initTestBackend());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = (name: string, shards: number) =>
  resolveRunSpec({
    name,
    seed: 6,
    workDir: join(root, name),
    dataset: { source: 'simulator', customers: 200, items: 60, days: 20 },
    prepare: { shards },
    families: [{ name: 'bert4rec', config: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 20, batchSize: 32, epochs: 1 } }],
  });

describe('sharded prep in the pipeline', () => {
  it('3 shards as parallel activities: the same data (hash, counts) and the same model as one prepare', async () => {
    const one = await runPipeline(spec('one', 1), { steps: realSteps() });
    const three = await runPipeline(spec('three', 3), { steps: realSteps(), sequential: false });
    expect(
      Object.keys(three.nodes)
        .filter((n) => n.startsWith('prepare:'))
        .sort(),
    ).toEqual([
      'prepare:global',
      'prepare:shard@0',
      'prepare:shard@1',
      'prepare:shard@2',
      'prepare:split',
      'prepare:stats@0',
      'prepare:stats@1',
      'prepare:stats@2',
    ]);
    expect(Object.values(three.nodes).every((s) => s === 'done')).toBe(true);
    expect(three.training.bert4rec.artifactHash).toBe(one.training.bert4rec.artifactHash);
    expect(three.evaluations.bert4rec.results[0].metrics).toEqual(one.evaluations.bert4rec.results[0].metrics);
    // the intermediate split folders are gone once the prepared folder is complete
    const prepared = three.training.bert4rec.runDir.replace(/models\/.*/, 'prepared');
    expect(existsSync(prepared)).toBe(true);
    // a re-run: the prepare is served from the cache and every sharded step is skipped
    const again = await runPipeline(spec('three', 3), { steps: realSteps() });
    expect(again.nodes['prepare:stats@0']).toBe('skipped');
    expect(again.nodes.prepare).toBe('done');
    expect(readLedger(join(root, 'three')).filter((e) => e.step === 'prepare')).toHaveLength(1);
  }, 180_000);
});
