/** Augmentation throughput on real sequences (S3-Rec Amazon Beauty, 22,363 customers):
 * Algorithm 1 over batches of 256, random prefixes, and BERT masking of a left-padded [256, 50] batch.
 * Usage: npx tsx packages/augment/bench/throughput.ts */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRng, runtimeOptions } from '@cfm/core';
import { augmentBatch, maskBatch, randomPrefix } from '../src';
import type { AlignedSeq } from '../src';

const file = join(runtimeOptions().CFM_DATA_DIR ?? resolve(__dirname, '../../../../shared/datasets'), 's3rec', 'Beauty.txt');
const seqs: AlignedSeq[] = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const items = Int32Array.from(
      line
        .trim()
        .split(/\s+/)
        .slice(1)
        .map((x) => Number(x) + 3),
    ); // shift past the reserved ids
    return { items, types: new Int32Array(items.length).fill(4), times: Float64Array.from(items, (_, i) => i) };
  });
const rng = createRng(1);
const B = 256,
  L = 50;
const time = (label: string, fn: () => void) => {
  const t = performance.now();
  fn();
  const ms = performance.now() - t;
  console.log(`${label}: ${ms.toFixed(0)} ms for ${seqs.length} sequences (${((seqs.length / ms) * 1000).toFixed(0)} seq/s)`);
};
const kinds = { crop: 0, shuffle: 0, none: 0 };
time('augmentBatch (Algorithm 1, 30 % of each batch of 256)', () => {
  for (let s = 0; s < seqs.length; s += B) for (const a of augmentBatch(seqs.slice(s, s + B), rng)) kinds[a.kind]++;
});
console.log(`  kinds: ${JSON.stringify(kinds)}`);
time('randomPrefix', () => {
  for (const seq of seqs) randomPrefix(seq, rng);
});
time(`maskBatch (15 %, left-padded [${B}, ${L}])`, () => {
  const batch = new Int32Array(B * L);
  for (let s = 0; s < seqs.length; s += B) {
    batch.fill(0);
    for (let r = 0; r < B && s + r < seqs.length; r++) {
      const items = seqs[s + r].items.subarray(-L);
      batch.set(items, r * L + L - items.length);
    }
    maskBatch(batch, L, rng, { vocabSize: 12105 });
  }
});
