import { appendFileSync, readFileSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPrepared, prepareFromSources, readManifest } from './index';
import { eventsCsv, tempDir } from './testing/fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const T0 = Date.UTC(2024, 0, 1);

async function prepared(name: string): Promise<string> {
  const rows: Array<[string, string, number, string]> = [];
  for (let c = 0; c < 12; c++) for (let k = 0; k < 6; k++) rows.push([`u${c}`, `i${(c + k) % 9}`, T0 + (c * 6 + k) * 60_000, 'view']);
  const out = join(tmp.dir, name);
  await prepareFromSources({
    dataset: name,
    sources: { events: [tmp.file(`${name}.csv`, eventsCsv(rows))] },
    out,
    config: { split: 'loo' },
  });
  return out;
}

describe('a prepared folder is verified when read', () => {
  it('lists every file it reads with size and sha256 in the manifest', async () => {
    const dir = await prepared('listed');
    const m = await readManifest(dir);
    expect(Object.keys(m.outputs!).sort()).toEqual(['item_features.arrow', 'test.arrow', 'train.arrow', 'valid.arrow', 'vocabs.json']);
    expect(m.outputs!['train.arrow'].bytes).toBe(statSync(join(dir, 'train.arrow')).size);
    expect((await loadPrepared(dir)).train.customerIds).toHaveLength(12);
  });
  it.each([
    [
      'truncated',
      (f: string) => truncateSync(f, Math.floor(statSync(f).size / 2)),
      /train\.arrow: size \d+ bytes, the prepared manifest says \d+ \(truncated or changed\)/,
    ],
    ['grown', (f: string) => appendFileSync(f, 'x'), /train\.arrow: size \d+ bytes/],
    [
      'changed in place',
      (f: string) => {
        const b = readFileSync(f);
        b[b.length - 9] ^= 0xff;
        writeFileSync(f, b);
      },
      /train\.arrow: sha256 does not match the prepared manifest/,
    ],
    ['deleted', (f: string) => rmSync(f), /train\.arrow: a file the prepared manifest lists is missing/],
  ])('refuses a %s shard with an error naming it', async (name, spoil, message) => {
    const dir = await prepared(`spoilt-${name.replace(/ /g, '-')}`);
    spoil(join(dir, 'train.arrow'));
    await expect(loadPrepared(dir)).rejects.toThrow(message);
  });
});
