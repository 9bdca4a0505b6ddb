import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadPrepared, readManifest } from '@cfm/data';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerPrepare } from './prepare';
import { registerDatasets } from './datasets';

const dataDir = mkdtempSync(join(tmpdir(), 'cfm-cli-prepare-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function program(): Command {
  const p = new Command('cfm').exitOverride();
  registerPrepare(p);
  registerDatasets(p);
  return p;
}

describe('cfm prepare', () => {
  it('prepares a path: folder of contract files and prints the summary table', async () => {
    mkdirSync(join(dataDir, 'shop'));
    const rows = ['customer_id,item_id,ts,event_type'];
    for (let c = 0; c < 5; c++) for (let k = 0; k < 4; k++) rows.push(`c${c},i${(c + k) % 3},2024-01-0${k + 1}T10:00:00Z,view`);
    rows.push('c9,,2024-01-01T00:00:00Z,view');
    writeFileSync(join(dataDir, 'shop', 'events.csv'), rows.join('\n') + '\n');
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      await program().parseAsync([
        'node',
        'cfm',
        'prepare',
        '--dataset',
        'path:shop',
        '--split',
        'loo',
        '--data-dir',
        dataDir,
        '--out',
        join(dataDir, 'out'),
        '--db',
        ':memory:',
      ]);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    expect(text).toMatch(/users 5, items 3, events 20, quarantined 1/);
    expect(text).toMatch(/train\s+5\s+10/);
    expect(text).toMatch(/test\s+5\s+15/);
  });

  it('refuses a dataset path outside the data directory', async () => {
    const err = await program()
      .parseAsync(['node', 'cfm', 'prepare', '--dataset', 'path:../..', '--data-dir', dataDir, '--out', join(dataDir, 'o2')])
      .catch((e) => e);
    expect(err.code).toBe('CFM_E_PATH_ESCAPE');
  });

  it('two prepares into one folder at once: one after the other, never the manifest of one with the data of the other', async () => {
    for (const [name, n] of [
      ['small', 3],
      ['large', 8],
    ] as const) {
      mkdirSync(join(dataDir, name));
      const rows = ['customer_id,item_id,ts,event_type'];
      for (let c = 0; c < n; c++)
        for (let k = 0; k < 4; k++) rows.push(`${name}${c},i${(c + k) % (n + 1)},2024-01-0${k + 1}T10:00:00Z,view`);
      writeFileSync(join(dataDir, name, 'events.csv'), rows.join('\n') + '\n');
    }
    const out = join(dataDir, 'shared-out');
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await Promise.all(
        ['small', 'large'].map((d) =>
          program().parseAsync(['node', 'cfm', 'prepare', '--dataset', `path:${d}`, '--split', 'loo', '--data-dir', dataDir, '--out', out]),
        ),
      );
    } finally {
      spy.mockRestore();
    }
    const m = await readManifest(out);
    const data = await loadPrepared(out); // verified against the manifest
    expect(data.train.customerIds.length).toBe(m.counts.users);
    expect(data.train.customerIds.every((id) => id.startsWith(m.dataset.replace('path:', '')))).toBe(true);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('shared-out.'))).toEqual([]);
  });

  it('a failing prepare into an existing folder leaves the old folder whole (catalog, quarantine, manifest)', async () => {
    mkdirSync(join(dataDir, 'broken'));
    writeFileSync(join(dataDir, 'broken', 'events.csv'), 'customer_id,ts\nc1,2024-01-01T00:00:00Z\n');
    const out = join(dataDir, 'keep-out');
    const run = (d: string) =>
      program().parseAsync(['node', 'cfm', 'prepare', '--dataset', `path:${d}`, '--split', 'loo', '--data-dir', dataDir, '--out', out]);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await run('small');
      const before = await readManifest(out);
      await expect(run('broken')).rejects.toMatchObject({ code: 'CFM_E_MISSING_COLUMN' });
      expect(await readManifest(out)).toEqual(before);
      expect((await loadPrepared(out)).train.customerIds.length).toBe(before.counts.users);
      expect(readdirSync(out)).toContain('catalog.duckdb');
    } finally {
      spy.mockRestore();
    }
  });
});
