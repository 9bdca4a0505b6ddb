/** Every task head evaluated, on real steps: an evaluate entry with `task` ranks MCM's attribute head over that
 * attribute's vocabulary; a family without the head gets an empty entry in its place (results[i] stays
 * evaluate[i]); the results page shows the head's accuracy; the gate cannot read a task entry. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from '@cfm/core';
import { initTestBackend } from '@cfm/tensor/testing';
import { resolveRunSpec } from './config';
import { writeResultsPage } from './results';
import { runPipeline } from './runner';
import { realSteps } from './steps';

const root = mkdtempSync(join(tmpdir(), 'cfm-task-eval-'));
beforeAll(() => initTestBackend());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 20, batchSize: 32, epochs: 1, lr: 0.003 };
const base = {
  name: 'task-eval',
  seed: 3,
  workDir: join(root, 'work'),
  dataset: { source: 'simulator', customers: 150, items: 60, days: 20 },
  families: [
    { name: 'mcm', config: { ...tiny, samplesPerSequence: 2 } },
    { name: 'bert4rec', config: tiny },
  ],
  evaluate: [{ protocol: 'full' }, { protocol: 'full', task: 'next-brand' }],
  promote: false,
};

describe('evaluate entries with a task', () => {
  it('rank an attribute head over its vocabulary and leave an empty entry for families without it', async () => {
    const r = await runPipeline(resolveRunSpec(base), { steps: realSteps(), progress: silentProgress });
    const mcm = JSON.parse(readFileSync(join(r.training.mcm.runDir, 'eval.json'), 'utf8'));
    const b4r = JSON.parse(readFileSync(join(r.training.bert4rec.runDir, 'eval.json'), 'utf8'));
    expect(mcm.results.map((x: { label: string }) => x.label)).toEqual(['full', 'full@next-brand']);
    expect(mcm.results[1].protocol).toMatch(/task next-brand: full ranking over every brand/);
    expect(mcm.results[1].metrics.accuracy).toBeGreaterThan(0);
    expect(mcm.results[1].metrics.accuracy).toBe(mcm.results[1].metrics['hr@1']);
    expect(mcm.results[1].metrics.accuracy).not.toBe(mcm.results[0].metrics['hr@1']);
    expect(b4r.results[1]).toMatchObject({ label: 'full@next-brand', metrics: {} });
    expect(b4r.results[1].protocol).toMatch(/not a head of bert4rec/);
    const page = writeResultsPage(join(root, 'work'), join(root, 'page.md'), { suite: 'task-eval', command: 'test' });
    const md = readFileSync(page.md, 'utf8');
    expect(md).toContain('### full@next-brand');
    expect(md).toMatch(/\| family \| accuracy \| ndcg@5 \|/);
  }, 240_000);

  it('cannot be what the gate reads', () => {
    expect(() => resolveRunSpec({ ...base, gate: { protocol: 1 } })).toThrow(/ranks task next-brand: the gate compares next-item ranking/);
  });
});
