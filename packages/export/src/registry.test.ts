import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from './artifact';
import { Registry } from './registry';
import { savingModel } from './testing';

const root = mkdtempSync(join(tmpdir(), 'cfm-registry-'));
let reg: Registry;
beforeAll(async () => {
  reg = await Registry.open(join(root, 'registry.duckdb'));
});
afterAll(() => {
  reg?.close();
  rmSync(root, { recursive: true, force: true });
});

async function trainedRun(runId: string, ndcg: number, protocol = 'loo, full ranking'): Promise<string> {
  await reg.registerRun({ runId, family: 'bert4rec', useCase: 'next_item', dataset: 'beauty', seed: 1 });
  await reg.recordMetrics(runId, [{ name: 'ndcg@10', value: ndcg, protocol }, { name: 'loss', value: 1 / ndcg, protocol, higherIsBetter: false }]);
  const dir = join(root, runId);
  await saveArtifact(savingModel(Uint8Array.from([ndcg * 100]), 'v', 'bert4rec'), dir, { runId });
  return (await reg.registerArtifact(runId, dir)).artifactId;
}

describe('registry', () => {
  it('lets the first run through the gate, then compares later runs with the champion', async () => {
    const a = await trainedRun('run-a', 0.30);
    const first = await reg.compareWithChampion('run-a', 'ndcg@10');
    expect(first.better).toBe(true);
    expect(first.champion).toBeUndefined();
    await reg.promote(a, 'first');
    expect((await reg.champion('bert4rec', 'next_item'))?.artifactId).toBe(a);

    await trainedRun('run-b', 0.25);
    const worse = await reg.compareWithChampion('run-b', 'ndcg@10');
    expect(worse.better).toBe(false);
    expect(worse.improvement).toBeCloseTo(-0.05, 12);
    expect(worse.champion?.runId).toBe('run-a');
    // loss is lower-is-better: 4 vs 3.33 is worse
    expect((await reg.compareWithChampion('run-b', 'loss')).better).toBe(false);

    const c = await trainedRun('run-c', 0.35);
    expect((await reg.compareWithChampion('run-c', 'ndcg@10', { minDelta: 0.1 })).better).toBe(false);
    expect((await reg.compareWithChampion('run-c', 'ndcg@10')).better).toBe(true);
    await reg.setChallenger(c);
    expect((await reg.challenger('bert4rec', 'next_item'))?.artifactId).toBe(c);
    await reg.promote(c);
    expect((await reg.champion('bert4rec', 'next_item'))?.artifactId).toBe(c);
    expect(await reg.challenger('bert4rec', 'next_item')).toBeUndefined();
  });

  it('rolls back to the previous champion, step by step, and keeps the history', async () => {
    const champ = await reg.champion('bert4rec', 'next_item');
    const restored = await reg.rollback('bert4rec', 'next_item', 'bad online metrics');
    expect(restored).not.toBe(champ?.artifactId);
    expect((await reg.champion('bert4rec', 'next_item'))?.runId).toBe('run-a');
    await expect(reg.rollback('bert4rec', 'next_item')).rejects.toThrow(/CFM_E_STATE.*no earlier champion/);
    const actions = (await reg.history('bert4rec', 'next_item')).map((e) => e.action);
    expect(actions).toEqual(['promote', 'challenge', 'promote', 'rollback']);
  });

  it('keeps a champion measured under another protocol (the gate rejects with the reason), and refuses unknown runs', async () => {
    await trainedRun('run-d', 0.5, 'sampled 100 negatives');
    const c = await reg.compareWithChampion('run-d', 'ndcg@10');
    expect(c.better).toBe(false);
    expect(c.reason).toMatch(/protocols differ.*not comparable, kept/);
    await expect(reg.compareWithChampion('nope', 'ndcg@10')).rejects.toThrow(/no run "nope"/);
    await expect(reg.compareWithChampion('run-d', 'mrr')).rejects.toThrow(/no test metric "mrr"/);
  });

  it('compare-and-promote: of two challengers gated against the same champion, only the first promotion wins', async () => {
    const champ = (await reg.champion('bert4rec', 'next_item'))!.artifactId;
    const x = await trainedRun('run-x', 0.9);
    const y = await trainedRun('run-y', 0.8);
    expect((await reg.compareWithChampion('run-x', 'ndcg@10')).better).toBe(true);
    expect((await reg.compareWithChampion('run-y', 'ndcg@10')).better).toBe(true);
    const [px, py] = await Promise.all([reg.promoteIf(x, champ, 'x'), reg.promoteIf(y, champ, 'y')]);
    expect([px.promoted, py.promoted]).toEqual([true, false]);
    expect(py.reason).toMatch(/the champion changed since the gate/);
    expect((await reg.champion('bert4rec', 'next_item'))?.artifactId).toBe(x);
  });

  it('waits while another process holds the registry file (DuckDB: one writer per file), or says so', async () => {
    const file = join(root, 'busy.duckdb');
    (await Registry.open(file)).close();
    const holder = spawn(process.execPath, ['-e', `const { DuckDBInstance } = require('@duckdb/node-api');
      DuckDBInstance.create(${JSON.stringify(file)}).then((i) => { process.stdout.write('open\\n'); setTimeout(() => { i.closeSync(); process.exit(0); }, 1500); });`], { cwd: __dirname });
    await new Promise<void>((ok) => holder.stdout.on('data', (d) => String(d).includes('open') && ok()));
    await expect(Registry.open(file, { waitMs: 0 })).rejects.toThrow(/CFM_E_STATE.*cannot open the registry/);
    const t0 = Date.now();
    const r = await Registry.open(file, { waitMs: 20_000 });
    expect(Date.now() - t0).toBeGreaterThan(200);
    r.close();
  }, 30_000);

  it('persists across reopen', async () => {
    reg.close();
    reg = await Registry.open(join(root, 'registry.duckdb'));
    // the compare-and-promote test's winner
    expect((await reg.champion('bert4rec', 'next_item'))?.runId).toBe('run-x');
    expect((await reg.metrics('run-a')).map((m) => m.name)).toEqual(['loss', 'ndcg@10']);
  });
});

describe('registry artifacts', () => {
  it('refuses an artifact whose family is not the run\'s', async () => {
    const r = await Registry.open(join(root, 'other.duckdb'));
    try {
      await r.registerRun({ runId: 'x', family: 'mcm', useCase: 'next_item' });
      const dir = join(root, 'x');
      await saveArtifact(savingModel(Uint8Array.from([1])), dir);
      await expect(r.registerArtifact('x', dir)).rejects.toThrow(/CFM_E_ARTIFACT.*family "toy" is not run x's family "mcm"/);
    } finally {
      r.close();
    }
  });
});
