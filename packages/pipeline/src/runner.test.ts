import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities, readLedger } from './activities';
import { resolveRunSpec } from './config';
import { formatSummary, runPipeline } from './runner';
import type { PipelineSteps } from './step-context';

// Machinery test: the steps here only write marker files, so that the cache, the ledger, the
// exactly-once partition markers and the runner's order can be checked in milliseconds.
function fileSteps(calls: string[]): PipelineSteps {
  const touch = (dir: string, name = 'out') => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), 'x');
    return join(dir, name);
  };
  const protocol = { label: 'full', protocol: 'p', seeds: [0], perSeed: [], std: {} };
  return {
    prepare: async (_s, dir) => {
      calls.push('prepare');
      touch(dir, 'manifest.json');
      return { dataHash: 'd1', prepareHash: 'h', dataset: 'x', split: 'loo', maxSeqLen: 50, counts: { events: 3 } };
    },
    train: async (i, runDir, ctx) => {
      calls.push(`train ${i.family.id}`);
      ctx.onTrainProgress({ family: i.family.id, epoch: 0, step: 1, loss: 1 });
      touch(join(runDir, 'model'), 'manifest.json');
      return { steps: 4, resumedFromStep: 0, finalLoss: 0.5, configHash: 'c', artifactHash: `art-${i.family.id}` };
    },
    evaluate: async (i) => {
      calls.push(`evaluate ${i.family}`);
      return { split: 'loo', seconds: 0, results: [{ ...protocol, metrics: { 'ndcg@10': i.family === 'a' ? 0.2 : 0.1 } }] };
    },
    benchmark: async () => ({ results: [], seconds: 0 }),
    compare: async (i) => {
      const v = i.evaluation.metrics[i.gate.metric];
      return {
        metric: i.gate.metric,
        challenger: v,
        champion: 0.15,
        passed: v > 0.15,
        reason: 'r',
        benchmarks: [],
        championArtifact: null,
      };
    },
    exportOutputs: async (i) => {
      calls.push(`export ${i.family}`);
      return { files: [touch(join(i.runDir, 'exports'), 'e.parquet')], rows: { e: 1 }, tasks: ['next-item'], seconds: 0 };
    },
    promote: async (i) => ({ promoted: true, championDir: i.artifactDir, reason: '' }),
    exportPartition: async (i, dir) => {
      calls.push(`partition ${i.asOf}`);
      return { files: [touch(dir)], customers: 2 };
    },
    report: async (i) => {
      calls.push('report');
      return { summaryFile: touch(i.workDir, 'summary.json'), reportFile: touch(i.workDir, 'report.html') };
    },
  };
}

describe('in-process runner and activities', () => {
  const spec = (workDir: string) =>
    resolveRunSpec({
      name: 'r',
      workDir,
      dataset: { source: 'simulator' },
      families: [
        { name: 'bert4rec', id: 'a' },
        { name: 'bert4rec', id: 'b' },
      ],
    });

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
    expect(formatSummary(spec(workDir), r)).toMatch(
      /a: 4 steps, loss 0.5000[\s\S]*full: ndcg@10=0.2000[\s\S]*→ pass[\s\S]*report: .*report.html/,
    );
    expect(calls.at(-1)).toBe('report');
    const ledger = readLedger(workDir).length;

    calls.length = 0;
    const again = await runPipeline(spec(workDir), { steps: fileSteps(calls), progress });
    expect(calls).toEqual(['report']);
    expect(again.training.a.cached).toBe(true);
    expect(lines.filter((l) => l.includes('cached')).length).toBeGreaterThan(5);
    // only promotion (never cached: the champion may have changed) added ledger lines; the report is written again
    expect(
      readLedger(workDir)
        .slice(ledger)
        .map((e) => e.step),
    ).toEqual(['promote']);
  });

  it('reruns a step whose output files disappeared', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'cfm-run-'));
    const calls: string[] = [];
    const r = await runPipeline(spec(workDir), { steps: fileSteps(calls) });
    const { rmSync } = await import('node:fs');
    rmSync(r.training.b.artifactDir, { recursive: true });
    calls.length = 0;
    await runPipeline(spec(workDir), { steps: fileSteps(calls) });
    // b's artifact is new (the fake hashes it the same, so evaluate stays cached): train b reruns
    expect(calls).toEqual(['train b', 'report']);
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
    // customer shards of one date are partitions of their own, each exported once
    const shards = [0, 1].map((index) => ({ ...input, asOf: '2024-01-07', shard: { index, count: 2 } }));
    const outs = await Promise.all([...shards, ...shards].map((i) => acts.exportPartition(i)));
    expect(
      outs
        .filter((o) => !o.skipped)
        .map((o) => o.key)
        .sort(),
    ).toEqual(['2024-01-07.s0of2', '2024-01-07.s1of2']);
    expect(await acts.exportedPartitions({ workDir, family: 'a' })).toEqual(['2024-01-05', '2024-01-07.s0of2', '2024-01-07.s1of2']);
  });
});
