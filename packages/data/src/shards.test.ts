import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { EvalSet } from '@cfm/core';
import { BATCH_CUSTOMERS, loadEvalSet, readSequenceShard, writeSequenceShard } from './index';
import { tempDir } from './testing/fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('Arrow sequence shards', () => {
  it('stream back in batches of at most BATCH_CUSTOMERS customers and round-trip exactly', async () => {
    const m = BATCH_CUSTOMERS * 2 + 17;
    const offsets = new Int32Array(m + 1);
    for (let c = 0; c < m; c++) offsets[c + 1] = offsets[c] + (c % 5);
    const n = offsets[m];
    const set: EvalSet & { targetTimes: Float64Array } = {
      history: {
        // (some non-ASCII ids: the customer_id column is encoded in one piece, with byte offsets)
        customerIds: Array.from({ length: m }, (_, c) => (c % 1000 === 7 ? `kundé-${c}-😀` : `c${c}`)),
        offsets,
        items: Int32Array.from({ length: n }, (_, i) => 4 + (i % 97)),
        types: Int32Array.from({ length: n }, (_, i) => 4 + (i % 3)),
        times: Float64Array.from({ length: n }, (_, i) => 1e9 + i),
        sessions: Int32Array.from({ length: n }, (_, i) => i % 2),
      },
      targets: Int32Array.from({ length: m }, (_, c) => 4 + c),
      targetTypes: Int32Array.from({ length: m }, () => 7),
      targetTimes: Float64Array.from({ length: m }, (_, c) => 2e9 + c),
    };
    const path = join(tmp.dir, 'valid.arrow');
    await writeSequenceShard(path, set);
    const sizes: number[] = [];
    for await (const b of readSequenceShard(path)) {
      sizes.push(b.sequences.customerIds.length);
      expect(b.sequences.offsets[0]).toBe(0);
      expect(b.sequences.items.length).toBe(b.sequences.offsets[b.sequences.offsets.length - 1]);
    }
    expect(sizes).toEqual([BATCH_CUSTOMERS, BATCH_CUSTOMERS, 17]);
    const back = await loadEvalSet(path);
    expect(back.history.customerIds).toEqual(set.history.customerIds);
    expect(Array.from(back.history.offsets)).toEqual(Array.from(offsets));
    expect(Array.from(back.history.items)).toEqual(Array.from(set.history.items));
    expect(Array.from(back.history.times)).toEqual(Array.from(set.history.times));
    expect(Array.from(back.history.sessions!)).toEqual(Array.from(set.history.sessions!));
    expect(Array.from(back.targets)).toEqual(Array.from(set.targets));
    expect(Array.from(back.targetTimes)).toEqual(Array.from(set.targetTimes));
  });
});
