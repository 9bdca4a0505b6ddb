import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities, readLedger } from './activities';
import { resolveRunConfig } from './config';
import { formatSummary, runPipeline } from './runner';
import type { PipelineSteps } from './step-context';

// Machinery test: the steps here only write marker files, so that the cache, the ledger, the
// exactly-once partition markers and the runner's order can be checked in milliseconds.
function fileSteps(calls: string[]): PipelineSteps {
  const touch = (dir: string, name = 'out') => { mkdirSync(dir, { recursive: true }); writeFileSync(join(dir, name), 'x'); return join(dir, name); };
  return {
    prepare: async (_s, dir) => { calls.push('prepare'); touch(dir); return { dataHash: 'd1', counts: { events: 3 } }; },
    train: async (i, d, ctx) => { calls.push(`train ${i.family.name}`); ctx.onTrainProgress({ family: i.family.name, epoch: 0, step: 1, loss: 1 }); touch(d.artifactDir); return { steps: 4, resumedFromStep: 0, finalLoss: 0.5, configHash: 'c' }; },
    evaluate: async (i) => { calls.push(`evaluate ${i.family}`); return { metrics: { 'ndcg@10': i.family === 'a' ? 0.2 : 0.1 }, protocol: 'p' }; },
    benchmark: async () => ({}),
    compare: async (i) => ({ family: i.family, metric: i.gate.metric, challenger: i.metrics[i.gate.metric], champion: 0.15, passed: i.metrics[i.gate.metric] > 0.15, reason: 'r' }),
    exportOutputs: async (i, dir) => { calls.push(`export ${i.family}`); return { files: [touch(dir, 'e.parquet')], rows: { e: 1 } }; },
    promote: async (i) => ({ family: i.family, promoted: true, championDir: i.artifactDir }),
    exportPartition: async (i, dir) => { calls.push(`partition ${i.asOf}`); return { files: [touch(dir)], customers: 2 }; },
  };
}

describe('in-process runner and activities', () => {
  const spec = (workDir: string) => resolveRunConfig({ name: 'r', workDir, dataset: { source: 'simulator' }, families: [{ name: 'a' }, { name: 'b' }] });

  it('runs the DAG, then serves every step from the cache on a re-run', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-run-'));
    const calls: string[] = [];
    const lines: string[] = [];
    const progress = { start() {}, update() {}, finish() {}, log: (l: string) => void lines.push(l) };
    const r = await runPipeline(spec(workDir), { steps: fileSteps(calls), progress });
    expect(calls.slice(0, 2)).toEqual(['prepare', 'train a']);
    expect(r.promoted).toEqual(['a']);
    expect(r.nodes['promote:b']).toBe('skipped');
    expect(lines).toContain('– promote:b skipped');
    expect(formatSummary(r)).toMatch(/a: 4 steps, loss 0.5000[\s\S]*ndcg@10=0.2000[\s\S]*→ pass/);
    const ledger = readLedger(workDir).length;

    calls.length = 0;
    const again = await runPipeline(spec(workDir), { steps: fileSteps(calls), progress });
    expect(calls).toEqual([]);
    expect(again.training.a.cached).toBe(true);
    expect(lines.filter((l) => l.includes('cached')).length).toBeGreaterThan(5);
    // only promotion (never cached: the champion may have changed) added ledger lines
    expect(readLedger(workDir).slice(ledger).map((e) => e.step)).toEqual(['promote']);
  });

  it('reruns a step whose output files disappeared', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-run-'));
    const calls: string[] = [];
    const r = await runPipeline(spec(workDir), { steps: fileSteps(calls) });
    const { rmSync } = await import('node:fs');
    rmSync(r.training.b.artifactDir, { recursive: true });
    calls.length = 0;
    await runPipeline(spec(workDir), { steps: fileSteps(calls) });
    expect(calls).toEqual(['train b']);
  });

  it('exports a partition once; later attempts are skipped', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-run-'));
    const calls: string[] = [];
    const acts = createActivities({ steps: fileSteps(calls) });
    const input = { workDir, preparedDir: '/p', artifactDir: '/a', family: 'a', asOf: '2024-01-05', topK: 3 };
    const [x, y] = await Promise.all([acts.exportPartition(input), acts.exportPartition(input)]);
    const z = await acts.exportPartition(input);
    expect([x.skipped, y.skipped].sort()).toEqual([false, true]);
    expect(z.skipped).toBe(true);
    expect(await acts.exportedPartitions({ workDir, family: 'a' })).toEqual(['2024-01-05']);
    expect(readLedger(workDir).filter((e) => e.step === 'exportPartition')).toHaveLength(1);
    expect(existsSync(join(workDir, 'backfill', 'a', '2024-01-05.done.json'))).toBe(true);
  });
});
