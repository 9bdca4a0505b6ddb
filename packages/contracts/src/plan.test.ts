import { describe, expect, it } from 'vitest';
import { executePlan, partitionDates, retrainPlan } from './index';
import type { NodeStatus, PlanNode, RunSpec } from './index';

const fam = (id: string) => ({ id, name: id, config: { epochs: 1 }, preset: null, checkpointEvery: 10 });
const spec: RunSpec = {
  name: 't',
  seed: 1,
  seeds: [1],
  workDir: '/w',
  dataDir: '/d',
  dataset: { source: 'dataset', name: 'movielens-100k' },
  datasetName: 'movielens-100k',
  prepare: { split: { kind: 'loo' }, maxSeqLen: 200, shards: 1 },
  families: [fam('a'), fam('b')],
  evaluate: [{ protocol: 'full', negatives: 100, sampling: 'uniform', ks: [10], excludeHistory: true, seeds: [0], split: 'test' }],
  benchmarks: [],
  gate: { metric: 'ndcg@10', protocol: 0, minDelta: 0, benchmarks: [] },
  export: { topK: 5 },
  promote: true,
  targets: [],
};

/** Fake activities: outputs shaped like the real ones, and a log of start / end order. */
function fakeCall(log: string[], gatePasses: (family: string) => boolean) {
  return async (n: PlanNode, input: unknown) => {
    log.push(`start ${n.id}`);
    await new Promise((r) => setTimeout(r, n.activity === 'trainModel' ? 20 : 1));
    log.push(`end ${n.id}`);
    const fam = n.id.split(':')[1]?.split('@')[0];
    switch (n.activity) {
      case 'prepareData':
        return { preparedDir: '/w/prep', dataHash: 'h' };
      case 'trainModel':
        return { artifactDir: `/w/art/${fam}`, runDir: `/w/run/${fam}`, family: fam, input };
      case 'evaluateModel':
        return { results: [{ metrics: { 'ndcg@10': 0.1 } }], input };
      case 'runBenchmarks':
        return { results: [{ task: 'label-x' }], input };
      case 'compareWithChampion':
        return { passed: gatePasses(fam), input };
      default:
        return { input };
    }
  };
}

describe('retrainPlan + executePlan', () => {
  it('runs every node after its predecessors, trains families in parallel and threads outputs', async () => {
    const log: string[] = [];
    const status: Record<string, NodeStatus> = {};
    const r = await executePlan(
      retrainPlan(spec),
      fakeCall(log, () => true),
      status,
    );
    expect(log.indexOf('start train:a')).toBeGreaterThan(log.indexOf('end prepare'));
    // both trainings start before either ends
    expect(log.indexOf('start train:b')).toBeLessThan(log.indexOf('end train:a'));
    expect(log.indexOf('start promote:a')).toBeGreaterThan(log.indexOf('end export:a'));
    expect((r['evaluate:b'] as { input: { artifactDir: string } }).input.artifactDir).toBe('/w/art/b');
    expect(Object.values(status).every((s) => s === 'done')).toBe(true);
    // the closing report runs last and lists every model folder
    expect(log.at(-1)).toBe('end report');
    expect((r.report as { input: { models: Array<{ runDir: string }> } }).input.models.map((m) => m.runDir)).toEqual([
      '/w/run/a',
      '/w/run/b',
    ]);
  });
  it('trains every seed, gates / exports / promotes the first, and waits for the benchmarks before the gate', async () => {
    const s = {
      ...spec,
      seeds: [1, 2],
      families: [fam('a')],
      benchmarks: [
        {
          task: 'next-item' as const,
          name: 'n',
          seed: 1,
          split: [0.8, 0.1, 0.1] as [number, number, number],
          repeats: 1,
          epochs: 1,
          negatives: 10,
        },
      ],
    };
    const log: string[] = [];
    const r = await executePlan(
      retrainPlan(s),
      fakeCall(log, () => true),
    );
    expect(
      Object.keys(r)
        .filter((k) => k.startsWith('train:'))
        .sort(),
    ).toEqual(['train:a@s1', 'train:a@s2']);
    expect((r['train:a@s2'] as { input: { seed: number; family: { config: { seed: number } } } }).input.family.config.seed).toBe(2);
    expect(
      Object.keys(r)
        .filter((k) => /^(compare|export|promote):/.test(k))
        .sort(),
    ).toEqual(['compare:a@s1', 'export:a@s1', 'promote:a@s1']);
    expect(log.indexOf('start compare:a@s1')).toBeGreaterThan(log.indexOf('end benchmark:a@s1'));
    expect((r['compare:a@s1'] as { input: { benchmarks: unknown[] } }).input.benchmarks).toEqual([{ task: 'label-x' }]);
  });
  it('gives cfm train its own model folder when the run trains one model', async () => {
    const r = await executePlan(
      retrainPlan({ ...spec, families: [fam('a')] }, { runDir: '/out' }),
      fakeCall([], () => true),
    );
    expect((r['train:a'] as { input: { runDir: string } }).input.runDir).toBe('/out');
  });
  it('skips promotion when the gate fails', async () => {
    const status: Record<string, NodeStatus> = {};
    const r = await executePlan(
      retrainPlan(spec),
      fakeCall([], (f) => f === 'b'),
      status,
    );
    expect(status['promote:a']).toBe('skipped');
    expect(status['promote:b']).toBe('done');
    expect(status.report).toBe('done');
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
