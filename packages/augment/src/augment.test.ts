import { describe, expect, it } from 'vitest';
import { createRng, MASK, PAD, CLS } from '@cfm/core';
import type { AlignedSeq } from './aligned';
import { customerSeq, permuteSeq, portion } from './aligned';
import { randomPrefix } from './prefix';
import { augmentBatch, cropOrShuffle } from './crop-shuffle';
import { KEEP, MASKED, RANDOMIZED, UNCHANGED, maskAligned, maskBatch, maskTokens } from './masking';

/** A random sequence whose side arrays are derived from the items, so alignment can be checked. */
function randomSeq(seed: number, maxLen = 60): AlignedSeq {
  const rng = createRng(`seq/${seed}`);
  const n = 1 + rng.int(maxLen);
  const items = Int32Array.from({ length: n }, () => 4 + rng.int(500));
  return { items, types: items.map((x) => x % 7), times: Float64Array.from(items, (x, i) => 1000 * i + x) };
}
const aligned = (s: AlignedSeq) => s.items.every((x, i) => s.types[i] === x % 7 && s.times[i] % 1000 === x);
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

describe('random prefix (MCM)', () => {
  it('feeds only tokens before the label, for [i1, i2, i3] the prefixes [i1] and [i1, i2]', () => {
    const seq = { items: Int32Array.from([11, 12, 13]), types: Int32Array.from([4, 4, 5]) };
    const seen = new Set<string>();
    for (let s = 0; s < 100; s++) {
      const p = randomPrefix(seq, createRng(s))!;
      expect(Array.from(p.input.items)).toEqual([11, 12, 13].slice(0, p.targetIndex));
      expect(p.target).toBe(seq.items[p.targetIndex]);
      seen.add(Array.from(p.input.items).join(','));
    }
    expect([...seen].sort()).toEqual(['11', '11,12']);
  });
  it('respects minLength and canBeTarget, and returns null when no label fits', () => {
    for (let s = 0; s < 200; s++) {
      const seq = randomSeq(s);
      const p = randomPrefix(seq, createRng(s), { minLength: 3, canBeTarget: (i) => seq.types[i] === 2 });
      if (!p) {
        expect(Array.from(seq.types.slice(3))).not.toContain(2);
        continue;
      }
      expect(p.targetIndex).toBeGreaterThanOrEqual(3);
      expect(seq.types[p.targetIndex]).toBe(2);
      expect(p.input.items.length).toBe(p.targetIndex);
      expect(aligned(p.input)).toBe(true);
    }
    expect(randomPrefix({ items: Int32Array.from([5]) }, createRng(1))).toBeNull();
  });
});

describe('crop / shuffle (ShopperBERT Algorithm 1)', () => {
  it('crops keep a contiguous window of at least 30 % starting in the first 70 %; shuffles keep every token', () => {
    const kinds = { crop: 0, shuffle: 0 };
    for (let s = 0; s < 500; s++) {
      const seq = randomSeq(s);
      const n = seq.items.length;
      const a = cropOrShuffle(seq, createRng(s));
      kinds[a.kind]++;
      expect(aligned(a.seq)).toBe(true);
      expect(a.from).toBeLessThanOrEqual(portion(n, 0.7, 'floor'));
      if (a.kind === 'crop') {
        expect(a.seq.items.length).toBe(a.to - a.from);
        expect(a.seq.items.length).toBeGreaterThanOrEqual(Math.ceil(0.3 * n - 1e-9));
        expect(Array.from(a.seq.items)).toEqual(Array.from(seq.items.slice(a.from, a.to)));
      } else {
        expect(a.to - a.from).toBe(portion(n, 0.3, 'ceil'));
        expect(sorted(a.seq.items)).toEqual(sorted(seq.items));
        // outside the window nothing moves; inside it the multiset is the same
        const moved = Array.from(seq.items).filter((x, i) => (i < a.from || i >= a.to) && a.seq.items[i] !== x);
        expect(moved).toEqual([]);
        expect(sorted(a.seq.items.slice(a.from, a.to))).toEqual(sorted(seq.items.slice(a.from, a.to)));
      }
    }
    // crop : shuffle = 1 : 1
    expect(kinds.crop / 500).toBeGreaterThan(0.42);
    expect(kinds.crop / 500).toBeLessThan(0.58);
  });
  it('uses integer windows: |s| = 10 shuffles exactly 3 tokens (0.3 * 10 is not 4)', () => {
    const seq = { items: Int32Array.from({ length: 10 }, (_, i) => i + 4) };
    for (let s = 0; s < 50; s++) {
      const a = cropOrShuffle(seq, createRng(s), { cropProbability: 0 });
      expect(a.to - a.from).toBe(3);
      expect(a.from).toBeLessThanOrEqual(7);
    }
  });
  it('augments exactly 30 % of a batch, the others untouched, deterministically per seed', () => {
    const batch = Array.from({ length: 40 }, (_, i) => randomSeq(i));
    const out = augmentBatch(batch, createRng(9));
    expect(out.filter((o) => o.kind !== 'none').length).toBe(12);
    out.forEach((o, i) => o.kind === 'none' && expect(o.seq).toBe(batch[i]));
    const again = augmentBatch(batch, createRng(9));
    expect(again.map((o) => Array.from(o.seq.items).join())).toEqual(out.map((o) => Array.from(o.seq.items).join()));
    const other = augmentBatch(batch, createRng(10));
    expect(other.map((o) => o.kind).join()).not.toBe(out.map((o) => o.kind).join());
  });
  it('rejects side arrays of another length and bad windows', () => {
    expect(() => cropOrShuffle({ items: new Int32Array(3), types: new Int32Array(2) }, createRng(1))).toThrow(/field "types"/);
    expect(() => cropOrShuffle(randomSeq(1), createRng(1), { window: 0.5, maxStart: 0.7 })).toThrow(/CFM_E_CONFIG/);
  });
  it('views a CSR customer without copying and permutes side arrays with the items', () => {
    const seqs = {
      customerIds: ['a', 'b'],
      offsets: Int32Array.from([0, 2, 5]),
      items: Int32Array.from([4, 5, 6, 7, 8]),
      types: Int32Array.from([0, 1, 2, 3, 4]),
      times: Float64Array.from([1, 2, 3, 4, 5]),
    };
    const b = customerSeq(seqs, 1);
    expect(Array.from(b.items)).toEqual([6, 7, 8]);
    expect(b.items.buffer).toBe(seqs.items.buffer);
    const p = permuteSeq(b, [2, 0, 1]);
    expect(Array.from(p.types)).toEqual([4, 2, 3]);
    expect(p.times).toBeInstanceOf(Float64Array);
  });
});

describe('BERT masking', () => {
  const opts = { vocabSize: 1000 };
  it('chooses round(15 %) of the non-PAD tokens; labels hold the originals there and 0 elsewhere', () => {
    for (let s = 0; s < 120; s++) {
      const seq = randomSeq(s, 200).items;
      const padded = new Int32Array(seq.length + 5);
      padded.set(seq, 5);
      padded[5] = CLS;
      const m = maskTokens(padded, createRng(s), opts);
      const chosen = Array.from(m.decisions).filter((d) => d !== KEEP).length;
      expect(chosen).toBe(Math.max(1, Math.round(0.15 * (seq.length - 1))) * (seq.length > 1 ? 1 : 0));
      // collect violations instead of asserting per token (keeps the loop fast)
      const bad: string[] = [];
      for (let i = 0; i < padded.length; i++) {
        const d = m.decisions[i];
        if (d === KEEP) {
          if (m.labels[i] !== 0 || m.inputs[i] !== padded[i]) bad.push(`kept ${i}`);
          continue;
        }
        if (padded[i] === PAD || padded[i] === CLS || m.labels[i] !== padded[i]) bad.push(`chosen ${i}`);
        if (d === MASKED && m.inputs[i] !== MASK) bad.push(`masked ${i}`);
        if (d === UNCHANGED && m.inputs[i] !== padded[i]) bad.push(`unchanged ${i}`);
        if (d === RANDOMIZED && !(m.inputs[i] >= 4 && m.inputs[i] < 1000)) bad.push(`random ${i}`);
      }
      expect(bad).toEqual([]);
    }
  });
  it('splits the chosen tokens 80 / 10 / 10 and is deterministic per seed', () => {
    const tokens = Int32Array.from({ length: 20000 }, (_, i) => 4 + (i % 900));
    const m = maskTokens(tokens, createRng(5), opts);
    const count = (d: number) => m.decisions.filter((x) => x === d).length;
    expect(count(MASKED) + count(RANDOMIZED) + count(UNCHANGED)).toBe(3000);
    expect(count(MASKED) / 3000).toBeCloseTo(0.8, 1);
    expect(count(RANDOMIZED) / 3000).toBeCloseTo(0.1, 1);
    expect(Array.from(maskTokens(tokens, createRng(5), opts).inputs)).toEqual(Array.from(m.inputs));
    expect(Array.from(maskTokens(tokens, createRng(6), opts).inputs)).not.toEqual(Array.from(m.inputs));
  });
  it('masks aligned features at the same positions and each batch row on its own', () => {
    const items = Int32Array.from([0, 0, 7, 8, 9, 10, 0, 11, 12, 13, 14, 15]);
    const m = maskBatch(items, 6, createRng(3), opts);
    expect(m.decisions[0] + m.decisions[1]).toBe(0);
    expect(Array.from(m.decisions.slice(0, 6)).filter(Boolean).length).toBe(1);
    expect(Array.from(m.decisions.slice(6)).filter(Boolean).length).toBe(1);
    const cats = items.map((x) => (x ? 4 + (x % 3) : 0));
    const c = maskAligned(cats, m.decisions, createRng(1), { vocabSize: 10 });
    for (let i = 0; i < items.length; i++) expect(c.labels[i] !== 0).toBe(m.decisions[i] !== KEEP);
    expect(() => maskTokens(items, createRng(1), { vocabSize: 3 })).toThrow(/CFM_E_CONFIG/);
  });
});
