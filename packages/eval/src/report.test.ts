import { describe, expect, it } from 'vitest';
import { describeProtocol, formatReport, summarizeRuns } from './report';
import { pairedTest } from './stats';

describe('formatReport', () => {
  it('states the protocol above a table of seed summaries and paired tests', () => {
    const protocol = {
      dataset: 'ml-1m',
      split: 'leave-one-out',
      candidates: 'sampled' as const,
      negatives: { kind: 'popularity' as const, count: 100, seed: 1 },
      seeds: [1, 2, 3],
      rows: 6040,
    };
    const text = formatReport({
      title: 'Next-item',
      protocol,
      rows: [
        summarizeRuns('bert4rec', [{ 'ndcg@10': 0.4 }, { 'ndcg@10': 0.42 }, { 'ndcg@10': 0.44 }]),
        { model: 'pop', metrics: { 'ndcg@10': 0.1 } },
      ],
      comparisons: [{ a: 'bert4rec', b: 'pop', metric: 'ndcg@10', result: pairedTest([1, 2, 3, 4, 5], [0, 0, 0, 0, 0]) }],
    });
    expect(text).toContain(
      'Protocol: dataset ml-1m; split leave-one-out; candidates: target + 100 popularity negatives (seed 1); ties pessimistic; seeds 1,2,3 (n=3); rows 6040',
    );
    expect(text).toContain('| model | ndcg@10 |');
    expect(text).toMatch(/\| bert4rec \| 0\.4200 ± 0\.0200 \[0\.3703, 0\.4697\] \|/);
    expect(text).toContain('| pop | 0.1000 |');
    expect(text).toContain('bert4rec vs pop on ndcg@10: mean diff 3.0000, wilcoxon test (exact), n=5, p=0.0625');
  });
  it('describes full ranking with history excluded', () => {
    expect(describeProtocol({ split: 'temporal', candidates: 'full', excludeHistory: true, seeds: [] })).toBe(
      'split temporal; candidates: full ranking excluding history; ties pessimistic; seeds none (n=0)',
    );
  });
});
