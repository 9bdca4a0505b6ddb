/** The gate on real steps: benchmark results are registered beside the ranking metrics, and a run whose
 * benchmark requirement is not met is not promoted (the reason names the requirement). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from '@cfm/core';
import { Registry } from '@cfm/registry';
import { initTestBackend } from '@cfm/tensor/testing';
import { resolveRunSpec } from './config';
import { runPipeline } from './runner';
import { realSteps } from './steps';

const root = mkdtempSync(join(tmpdir(), 'cfm-gate-'));
beforeAll(() => initTestBackend());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = (min: number) =>
  resolveRunSpec({
    name: 'gate',
    seed: 3,
    workDir: join(root, 'work'),
    dataset: { source: 'simulator', customers: 150, items: 60, days: 20 },
    families: [{ name: 'bert4rec', config: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 20, batchSize: 32, epochs: 1, lr: 0.003 } }],
    benchmarks: [{ task: 'label', name: 'active', field: 'activity', positive: ['high'], epochs: 2 }],
    gate: { benchmarks: [{ result: 'active/U-MLP/auroc', min }] },
  });

describe('the gate with benchmark requirements', () => {
  it('refuses a challenger below a benchmark requirement, registers its results, and promotes one that meets it', async () => {
    const strict = await runPipeline(spec(1.01), { steps: realSteps(), progress: silentProgress });
    const g = strict.gates.bert4rec;
    expect(g.passed).toBe(false);
    expect(g.benchmarks).toEqual([{ result: 'active/U-MLP/auroc', value: expect.any(Number), min: 1.01, passed: false }]);
    expect(g.reason).toMatch(/benchmark requirement not met: active\/U-MLP\/auroc 0\.\d{4} < 1\.01/);
    expect(strict.nodes['promote:bert4rec']).toBe('skipped');
    const runDir = strict.training.bert4rec.runDir;
    expect(JSON.parse(readFileSync(join(runDir, 'gate.json'), 'utf8')).passed).toBe(false);
    const reg = await Registry.open(join(root, 'work', 'registry.duckdb'));
    try {
      const names = (await reg.metrics(basename(runDir))).map((m) => m.name);
      expect(names).toEqual(expect.arrayContaining(['ndcg@10', 'benchmark/active/U-MLP/auroc', 'benchmark/active/U-MLP/f1']));
      expect(await reg.champion('bert4rec', 'next-item')).toBeUndefined();
    } finally {
      reg.close();
    }
    // the same model (cached steps), a requirement it meets: promoted
    const lenient = await runPipeline(spec(0), { steps: realSteps(), progress: silentProgress });
    expect(lenient.training.bert4rec.cached).toBe(true);
    expect(lenient.gates.bert4rec.passed).toBe(true);
    expect(lenient.promoted).toEqual(['bert4rec']);
  }, 180_000);
});
