import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '@cfm/export';
import { savingModel } from '@cfm/export/testing';
import { openRegistry } from './open-registry';
import { Registry } from './registry';
import type { ChampionRegistry } from './registry-api';
import { postgresSkipReason, startPostgres, type PostgresServer } from './testing';

const root = mkdtempSync(join(tmpdir(), 'cfm-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** where a backend's registries live: `target(name)` is a fresh registry for each name */
interface Backend {
  name: string;
  skip?: string;
  /** one connection at a time: concurrent calls run in call order */
  ordered: boolean;
  start(): Promise<{ target(name: string): Promise<string>; stop(): Promise<void> }>;
}

const pgSkip = postgresSkipReason();
const backends: Backend[] = [
  {
    name: 'DuckDB file',
    ordered: true,
    start: async () => ({ target: async (name) => join(root, `${name}.duckdb`), stop: async () => undefined }),
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    ordered: false,
    start: async () => {
      const server: PostgresServer = await startPostgres();
      return { target: (name) => server.createDatabase(name), stop: () => server.stop() };
    },
  },
];

describe.each(backends)('registry on $name', (b) => {
  describe.skipIf(!!b.skip)(b.skip ?? 'behaviour', () => {
    let reg: ChampionRegistry;
    let home: Awaited<ReturnType<Backend['start']>>;
    let main: string;
    let dirs: string;
    beforeAll(async () => {
      home = await b.start();
      main = await home.target('registry');
      dirs = mkdtempSync(join(root, 'artifacts-'));
      reg = await openRegistry(main);
    });
    afterAll(async () => {
      await reg?.close();
      await home?.stop();
    });

    async function trainedRun(runId: string, ndcg: number, protocol = 'loo, full ranking', on = reg): Promise<string> {
      await on.registerRun({ runId, family: 'bert4rec', useCase: 'next_item', dataset: 'beauty', seed: 1 });
      await on.recordMetrics(runId, [
        { name: 'ndcg@10', value: ndcg, protocol },
        { name: 'loss', value: 1 / ndcg, protocol, higherIsBetter: false },
      ]);
      const dir = join(dirs, runId);
      await saveArtifact(savingModel(Uint8Array.from([ndcg * 100]), 'v', 'bert4rec'), dir, { runId });
      return (await on.registerArtifact(runId, dir)).artifactId;
    }

    it('lets the first run through the gate, then compares later runs with the champion', async () => {
      const a = await trainedRun('run-a', 0.3);
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
      const history = await reg.history('bert4rec', 'next_item');
      expect(history.map((e) => e.action)).toEqual(['promote', 'challenge', 'promote', 'rollback']);
      expect(history.map((e) => e.seq)).toEqual([...history.map((e) => e.seq)].sort((x, y) => x - y));
      expect(Number.isNaN(Date.parse(history[0].at))).toBe(false);
    });

    it('keeps a champion measured under another protocol (the gate rejects with the reason), and refuses unknown runs', async () => {
      await trainedRun('run-d', 0.5, 'sampled 100 negatives');
      const c = await reg.compareWithChampion('run-d', 'ndcg@10');
      expect(c.better).toBe(false);
      expect(c.reason).toMatch(/protocols differ.*not comparable, kept/);
      await expect(reg.compareWithChampion('nope', 'ndcg@10')).rejects.toThrow(/no run "nope"/);
      await expect(reg.compareWithChampion('run-d', 'mrr')).rejects.toThrow(/no test metric "mrr"/);
    });

    let winner = '';
    it('compare-and-promote: of two challengers gated against the same champion, only one promotion wins', async () => {
      const champ = (await reg.champion('bert4rec', 'next_item'))!.artifactId;
      const x = await trainedRun('run-x', 0.9);
      const y = await trainedRun('run-y', 0.8);
      expect((await reg.compareWithChampion('run-x', 'ndcg@10')).better).toBe(true);
      expect((await reg.compareWithChampion('run-y', 'ndcg@10')).better).toBe(true);
      const [px, py] = await Promise.all([reg.promoteIf(x, champ, 'x'), reg.promoteIf(y, champ, 'y')]);
      // one connection serves calls in order (the first wins); a pool of connections races them
      if (b.ordered) expect([px.promoted, py.promoted]).toEqual([true, false]);
      expect([px, py].filter((p) => p.promoted)).toHaveLength(1);
      winner = px.promoted ? 'run-x' : 'run-y';
      expect((px.promoted ? py : px).reason).toMatch(/the champion changed since the gate/);
      expect((await reg.champion('bert4rec', 'next_item'))?.runId).toBe(winner);
    });

    it('takes retried writes without errors or duplicates: registrations, promotions, challenges, roll-backs', async () => {
      const line = ['bert4rec', 'next_item'] as const;
      const champ = (await reg.champion(...line))!;
      const before = await reg.history(...line);
      // a retried registration: same run, metrics and artifact
      const z = await trainedRun('run-z', 0.95);
      const first = await reg.artifact(z);
      expect(await trainedRun('run-z', 0.95)).toBe(z);
      expect(await reg.artifact(z)).toEqual(first);
      expect((await reg.metrics('run-z')).map((m) => m.name)).toEqual(['loss', 'ndcg@10']);
      // a retried challenge, compare-and-promote and promote append once
      await reg.setChallenger(z, 'gate');
      await reg.setChallenger(z, 'gate');
      expect(await reg.promoteIf(z, champ.artifactId, 'z')).toEqual({ promoted: true, reason: 'z', champion: z });
      expect(await reg.promoteIf(z, champ.artifactId, 'z')).toEqual({
        promoted: false,
        reason: `${z} is already the champion`,
        champion: z,
      });
      await reg.promote(z);
      expect((await reg.history(...line)).slice(before.length).map((e) => e.action)).toEqual(['challenge', 'promote']);
      // a retried compare-and-roll-back: the second call finds it done; a roll-back of another champion is refused
      expect(await reg.rollback(...line, 'retry me', { expected: z })).toBe(champ.artifactId);
      expect(await reg.rollback(...line, 'retry me', { expected: z })).toBe(champ.artifactId);
      await expect(reg.rollback(...line, '', { expected: 'run-a-00000000' })).rejects.toThrow(/CFM_E_STATE.*not rolled back/);
      expect((await reg.history(...line)).slice(before.length).map((e) => e.action)).toEqual(['challenge', 'promote', 'rollback']);
      expect((await reg.champion(...line))?.artifactId).toBe(champ.artifactId);
    });

    it('persists across reopen', async () => {
      await reg.close();
      reg = await openRegistry(main);
      // the compare-and-promote test's winner
      expect((await reg.champion('bert4rec', 'next_item'))?.runId).toBe(winner);
      expect((await reg.metrics('run-a')).map((m) => m.name)).toEqual(['loss', 'ndcg@10']);
    });

    it("refuses an artifact whose family is not the run's", async () => {
      const r = await openRegistry(await home.target('other'));
      try {
        await r.registerRun({ runId: 'x', family: 'mcm', useCase: 'next_item' });
        const dir = join(dirs, 'x');
        await saveArtifact(savingModel(Uint8Array.from([1])), dir);
        await expect(r.registerArtifact('x', dir)).rejects.toThrow(/CFM_E_ARTIFACT.*family "toy" is not run x's family "mcm"/);
      } finally {
        await r.close();
      }
    });
  });
});

describe('registry on a DuckDB file, one process at a time', () => {
  it('waits while another process holds the registry file (DuckDB: one writer per file), or says so', async () => {
    const file = join(root, 'busy.duckdb');
    (await Registry.open(file)).close();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { DuckDBInstance } = require('@duckdb/node-api');
      DuckDBInstance.create(${JSON.stringify(file)}).then((i) => { process.stdout.write('open\\n'); setTimeout(() => { i.closeSync(); process.exit(0); }, 1500); });`,
      ],
      { cwd: __dirname },
    );
    await new Promise<void>((ok) => holder.stdout.on('data', (d) => String(d).includes('open') && ok()));
    await expect(Registry.open(file, { waitMs: 0 })).rejects.toThrow(/CFM_E_STATE.*cannot open the registry/);
    const t0 = Date.now();
    const r = await Registry.open(file, { waitMs: 20_000 });
    expect(Date.now() - t0).toBeGreaterThan(200);
    r.close();
  }, 30_000);

  it('openRegistry: a path or file:// URI is a DuckDB file', async () => {
    const r = await openRegistry(`file://${join(root, 'uri.duckdb')}`);
    try {
      expect(r).toBeInstanceOf(Registry);
      expect(r.target).toBe(join(root, 'uri.duckdb'));
    } finally {
      await r.close();
    }
  });
});
