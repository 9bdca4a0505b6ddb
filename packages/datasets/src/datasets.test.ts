import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPrepared, prepareDataset, resolveDataDir, adapters } from './index';

let dataDir: string | undefined;
try {
  dataDir = resolveDataDir();
} catch {
  dataDir = undefined;
}
const out = mkdtempSync(join(tmpdir(), 'cfm-datasets-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Counts after prepare must equal the statistics in each dataset's README. */
describe.skipIf(!dataDir)('dataset adapters match their README statistics', () => {
  it.each(adapters.filter((a) => a.expected && existsSync(join(dataDir!, a.folder))).map((a) => [a.name, a] as const))(
    '%s',
    async (name, adapter) => {
      const manifest = await prepareDataset({ dataset: name, out: join(out, name), dbPath: ':memory:' });
      const e = adapter.expected!;
      const ev = manifest.files.filter((f) => f.kind === 'events');
      const got = {
        users: manifest.counts.users,
        items: manifest.counts.items,
        events: manifest.counts.accepted,
        inputRows: ev.reduce((a, f) => a + f.input, 0),
      };
      expect(Object.fromEntries(Object.keys(e).map((k) => [k, got[k as keyof typeof got]]))).toEqual(e);
      if (!e.inputRows) expect(manifest.counts.quarantined).toBe(0);
      for (const f of manifest.files) expect(f.input).toBe(f.accepted + f.quarantined);
      // the events in raw lines where each raw line is one event (S3-Rec lines hold a customer's whole sequence)
      const lines = manifest.eventLines!;
      expect(lines.unit).toBe(name.startsWith('s3rec') ? 'rows' : 'raw lines');
      expect(lines.input).toBe(lines.events + lines.duplicates + lines.quarantined);
    },
    120_000,
  );

  it('s3rec-beauty loads with item features and the leave-one-out targets of the README file', async () => {
    const p = await loadPrepared(join(out, 's3rec-beauty'));
    const k = p.test.history.customerIds.indexOf('1');
    // Beauty.txt line 1: "1 1 2 3 4 5"
    expect(p.vocabs.item.tokens[p.test.targets[k]]).toBe('5');
    expect(p.vocabs.item.tokens[p.valid.targets[p.valid.history.customerIds.indexOf('1')]]).toBe('4');
    expect(p.itemFeatures.brand.length).toBe(p.vocabs.item.tokens.length);
    expect(p.vocabs.brand.tokens.length).toBeGreaterThan(100);
  }, 60_000);
});
