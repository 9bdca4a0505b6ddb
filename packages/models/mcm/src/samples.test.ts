import { describe, expect, it } from 'vitest';
import { RESERVED_IDS } from '@cfm/core';
import { syntheticPrepared } from '@cfm/tensor/testing';
import { inclusionLogProb, McmSampler } from './samples';

describe('MCM sampled item softmax: logQ correction', () => {
  const d = syntheticPrepared({ customers: 200, items: 60, minLen: 4, maxLen: 20 });
  const itemCount = d.vocabs.item.tokens.length;
  const o = {
    maxLen: 12,
    batchSize: 32,
    samplesPerSequence: 2,
    objective: 'prefix' as const,
    seed: 3,
    itemCount,
    negatives: 16,
    samplingCorrection: true,
  };

  it('gives every candidate log P(in the candidate set), higher for items that are labels more often', () => {
    const s = new McmSampler(d.train, o);
    const q = inclusionLogProb(d.train, s.eligible, o);
    const counts = new Float64Array(itemCount);
    for (const c of s.eligible) for (let i = d.train.offsets[c] + 1; i < d.train.offsets[c + 1]; i++) counts[d.train.items[i]]++;
    const ids = Array.from({ length: itemCount - RESERVED_IDS }, (_, k) => k + RESERVED_IDS);
    const byCount = [...ids].sort((a, b) => counts[a] - counts[b]);
    const rare = byCount[0];
    const common = byCount[byCount.length - 1];
    expect(counts[common]).toBeGreaterThan(counts[rare]);
    expect(q[common]).toBeGreaterThan(q[rare]);
    for (const w of ids) expect(q[w]).toBeLessThanOrEqual(0);
    // an item that is never a label is only in the set through the uniform negatives
    const span = itemCount - RESERVED_IDS;
    const never = ids.find((w) => counts[w] === 0);
    if (never !== undefined) expect(q[never]).toBeCloseTo(Math.log(1 - (1 - 1 / span) ** o.negatives), 5);
    const b = s.batch(0, 0);
    expect(b.candidateLogQ).toHaveLength(b.candidates!.length);
    b.candidates!.forEach((w, k) => expect(b.candidateLogQ![k]).toBeCloseTo(q[w], 6));
  });

  it('is off unless asked for, and with the full softmax', () => {
    expect(new McmSampler(d.train, { ...o, samplingCorrection: false }).batch(0, 0).candidateLogQ).toBeUndefined();
    expect(new McmSampler(d.train, { ...o, samplingCorrection: undefined }).batch(0, 0).candidateLogQ).toBeUndefined();
    expect(new McmSampler(d.train, { ...o, negatives: 0 }).batch(0, 0).candidates).toBeUndefined();
  });
});
