import { describe, expect, it } from 'vitest';
import { customerShard } from './export';

describe('customerShard', () => {
  it('puts every customer in exactly one of n shards, the same on every call, spread evenly', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `c${i}`);
    const shards = ids.map((id) => customerShard(id, 4));
    expect(ids.map((id) => customerShard(id, 4))).toEqual(shards);
    const sizes = [0, 1, 2, 3].map((s) => shards.filter((x) => x === s).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(4000);
    for (const n of sizes) expect(Math.abs(n - 1000)).toBeLessThan(120);
    expect(ids.every((id) => customerShard(id, 1) === 0)).toBe(true);
  });
});
