import { describe, expect, it } from 'vitest';
import { executePlan, partitionDates, retrainPlan } from './index';
import type { NodeStatus, PlanNode, RunSpec } from './index';

const spec: RunSpec = {
  name: 't', seed: 1, workDir: '/w', dataDir: '/d',
  dataset: { source: 'dataset', name: 'movielens-100k' }, split: { kind: 'loo' }, maxLen: 20,
  families: [
    { name: 'a', config: {}, epochs: 1, checkpointEvery: 10 },
    { name: 'b', config: {}, epochs: 1, checkpointEvery: 10 },
  ],
  evaluate: { protocol: 'full', negatives: 100, sampling: 'uniform', ks: [10], excludeHistory: true },
  benchmarks: [], gate: { metric: 'ndcg@10', minDelta: 0 }, export: { topK: 5 }, promote: true,
};

/** Fake activities: outputs shaped like the real ones, and a log of start / end order. */
function fakeCall(log: string[], gatePasses: (family: string) => boolean) {
  return async (n: PlanNode, input: unknown) => {
    log.push(`start ${n.id}`);
    await new Promise((r) => setTimeout(r, n.activity === 'trainModel' ? 20 : 1));
    log.push(`end ${n.id}`);
    const fam = n.id.split(':')[1];
    switch (n.activity) {
      case 'prepareData': return { preparedDir: '/w/prep', dataHash: 'h' };
      case 'trainModel': return { artifactDir: `/w/art/${fam}`, family: fam };
      case 'evaluateModel': return { metrics: { 'ndcg@10': 0.1 }, input };
      case 'compareWithChampion': return { passed: gatePasses(fam) };
      default: return { input };
    }
  };
}

describe('retrainPlan + executePlan', () => {
  it('runs every node after its predecessors, trains families in parallel and threads outputs', async () => {
    const log: string[] = [];
    const status: Record<string, NodeStatus> = {};
    const r = await executePlan(retrainPlan(spec), fakeCall(log, () => true), status);
    expect(log.indexOf('start train:a')).toBeGreaterThan(log.indexOf('end prepare'));
    // both trainings start before either ends
    expect(log.indexOf('start train:b')).toBeLessThan(log.indexOf('end train:a'));
    expect(log.indexOf('start promote:a')).toBeGreaterThan(log.indexOf('end export:a'));
    expect((r['evaluate:b'] as { input: { artifactDir: string } }).input.artifactDir).toBe('/w/art/b');
    expect(Object.values(status).every((s) => s === 'done')).toBe(true);
  });
  it('skips promotion when the gate fails', async () => {
    const status: Record<string, NodeStatus> = {};
    const r = await executePlan(retrainPlan(spec), fakeCall([], (f) => f === 'b'), status);
    expect(status['promote:a']).toBe('skipped');
    expect(status['promote:b']).toBe('done');
    expect(r['promote:a']).toBeUndefined();
  });
  it('rejects with the first failure and marks the node failed', async () => {
    const status: Record<string, NodeStatus> = {};
    const call = async (n: PlanNode) => {
      if (n.id === 'train:a') throw new Error('boom');
      return { preparedDir: '/p', artifactDir: '/a', metrics: {}, passed: true };
    };
    await expect(executePlan(retrainPlan(spec), call, status)).rejects.toThrow('boom');
    expect(status['train:a']).toBe('failed');
    expect(status['promote:a']).toBe('pending');
  });
  it('refuses a plan that waits on an unknown node', async () => {
    const plan = [{ id: 'x', activity: 'prepareData', after: ['nope'], input: () => ({}) }] as unknown as PlanNode[];
    await expect(executePlan(plan, async () => 1)).rejects.toThrow('unknown node "nope"');
  });
});

describe('partitionDates', () => {
  it('lists inclusive cut-offs every n days', () => {
    expect(partitionDates('2020-01-30', '2020-02-03', 2)).toEqual(['2020-01-30', '2020-02-01', '2020-02-03']);
    expect(partitionDates('2020-01-01', '2020-01-01', 1)).toEqual(['2020-01-01']);
    expect(() => partitionDates('2020-13-01', '2020-01-01', 1)).toThrow('bad partition range');
  });
});
