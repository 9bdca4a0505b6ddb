/** Outputs are transactions: a prepared folder is built beside its final name and swapped in complete (its catalog
 * still reads its events afterwards); a failed prepare leaves nothing the next run could take for done; the same
 * spec run twice at once trains once. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { silentProgress } from '@cfm/core';
import { initTestBackend } from '@cfm/tensor/testing';
import { createActivities, readLedger } from './activities';
import { resolveRunSpec } from './config';
import { runPipeline } from './runner';
import { realSteps } from './steps';

const root = mkdtempSync(join(tmpdir(), 'cfm-tx-'));
beforeAll(() => initTestBackend());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = (workDir: string) =>
  resolveRunSpec({
    name: 'tx',
    seed: 4,
    workDir,
    dataset: { source: 'simulator', customers: 120, items: 50, days: 15 },
    families: [{ name: 'bert4rec', config: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 20, batchSize: 32, epochs: 1 } }],
  });

describe('prepare is a transaction', () => {
  it("swaps the prepared folder in complete, and its catalog's events view reads the moved Parquet file", async () => {
    const workDir = join(root, 'a');
    const acts = createActivities({ steps: realSteps(), progress: silentProgress });
    const out = await acts.prepareData({ spec: spec(workDir) });
    expect(readdirSync(join(workDir, 'prepared'))).toEqual([out.preparedDir.split('/').pop()]);
    const db = await DuckDBInstance.create(join(out.preparedDir, 'catalog.duckdb'), { access_mode: 'READ_ONLY' });
    try {
      const conn = await db.connect();
      const rows = (await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events')).getRowObjectsJS();
      expect(rows[0].n).toBe(out.counts.events);
      conn.closeSync();
    } finally {
      db.closeSync();
    }
  });

  it('a prepare that fails leaves no prepared folder and no cache entry; the next run clears its leftovers', async () => {
    const workDir = join(root, 'b');
    const real = realSteps();
    const failing = createActivities({
      steps: {
        ...real,
        prepare: async (_s, dir) => {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'half.arrow'), 'x');
          throw new Error('killed mid-way');
        },
      },
    });
    await expect(failing.prepareData({ spec: spec(workDir) })).rejects.toThrow('killed mid-way');
    const prepared = readdirSync(join(workDir, 'prepared'));
    expect(prepared.every((d) => d.endsWith('.partial'))).toBe(true);
    expect(existsSync(join(workDir, 'cache', 'prepare'))).toBe(false);
    const out = await createActivities({ steps: real }).prepareData({ spec: spec(workDir) });
    expect(out.cached).toBe(false);
    expect(readdirSync(join(workDir, 'prepared'))).toEqual([out.preparedDir.split('/').pop()]);
  });
});

describe('one writer per output folder', () => {
  it('the same spec run twice at once trains once; both runs get the same model', async () => {
    const workDir = join(root, 'c');
    const [a, b] = await Promise.all([
      runPipeline(spec(workDir), { steps: realSteps() }),
      runPipeline(spec(workDir), { steps: realSteps() }),
    ]);
    expect(a.training.bert4rec.artifactHash).toBe(b.training.bert4rec.artifactHash);
    expect([a.training.bert4rec.cached, b.training.bert4rec.cached].sort()).toEqual([false, true]);
    const ledger = readLedger(workDir);
    expect(ledger.filter((e) => e.step === 'prepare')).toHaveLength(1);
    expect(ledger.filter((e) => e.step === 'train')).toHaveLength(1);
    expect(ledger.filter((e) => e.step === 'export')).toHaveLength(1);
    expect(readdirSync(join(workDir, 'models')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 120_000);
});

describe('leftovers of killed runs', () => {
  it('are removed by the next run that writes the folder', async () => {
    const workDir = join(root, 'd');
    const first = await runPipeline(spec(workDir), { steps: realSteps() });
    const runDir = first.training.bert4rec.runDir;
    const dead = await new Promise<number>((done) => {
      const p = spawn(process.execPath, ['-e', '0']);
      p.on('exit', () => done(p.pid!));
    });
    mkdirSync(join(runDir, `model.tmp-${dead}`));
    writeFileSync(join(runDir, 'exports', `.topk.parquet.tmp-${dead}-1-0`), 'half a file');
    rmSync(join(runDir, 'model'), { recursive: true });
    rmSync(join(runDir, 'exports', 'topk.parquet'));
    const lines: string[] = [];
    await runPipeline(spec(workDir), { steps: realSteps(), progress: { ...silentProgress, log: (l: string) => void lines.push(l) } });
    expect(readdirSync(runDir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readdirSync(join(runDir, 'exports')).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('removed 1 leftover(s) of a killed run'))).toHaveLength(2);
  }, 120_000);
});
