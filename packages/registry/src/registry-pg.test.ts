import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { saveArtifact } from '@cfm/export';
import { savingModel } from '@cfm/export/testing';
import { isPostgresTarget, openRegistry } from './open-registry';
import type { ChampionRegistry } from './registry-api';
import { PgRegistry, redactUrl } from './registry-pg';
import { postgresSkipReason, startPostgres, type PostgresServer } from './testing';

const skip = postgresSkipReason();
const root = mkdtempSync(join(tmpdir(), 'cfm-registry-pg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function artifactDir(runId: string, byte: number): Promise<string> {
  const dir = join(root, runId);
  await saveArtifact(savingModel(Uint8Array.from([byte]), 'v', 'bert4rec'), dir, { runId });
  return dir;
}

/** the lines a child process prints, one promise per line to come */
function lines(p: ChildProcessWithoutNullStreams): () => Promise<string> {
  let buf = '';
  let err = '';
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  p.stderr.on('data', (d) => (err += d));
  p.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  const ended = new Promise<string>((_, fail) => p.once('exit', (code) => fail(new Error(`child exited (${code}): ${err.slice(-2000)}`))));
  ended.catch(() => undefined);
  return () => (queue.length ? Promise.resolve(queue.shift()!) : Promise.race([new Promise<string>((ok) => waiting.push(ok)), ended]));
}

describe('PostgreSQL registry: targets and errors', () => {
  it('openRegistry sends postgres:// and postgresql:// URLs to PostgreSQL; messages never show the password', () => {
    expect(isPostgresTarget('postgres://h/db')).toBe(true);
    expect(isPostgresTarget('postgresql://h/db')).toBe(true);
    expect(isPostgresTarget('runs/registry.duckdb')).toBe(false);
    expect(redactUrl('postgres://cfm:s3cret@db.internal:5432/cfm')).toBe('postgres://cfm:***@db.internal:5432/cfm');
  });

  it('refuses an unreachable server with a retryable CFM_E_STATE', async () => {
    const e = await openRegistry('postgres://cfm:s3cret@127.0.0.1:1/cfm', { waitMs: 0 }).catch((x: unknown) => x);
    expect(isCfmError(e) && e.code === 'CFM_E_STATE' && e.retryable).toBe(true);
    expect(String(e)).toMatch(/cannot open the registry/);
    expect(String(e)).not.toMatch(/s3cret/);
  });
});

describe.skipIf(!!skip)(`PostgreSQL registry with many processes${skip ? ` (${skip})` : ''}`, () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('N processes open a fresh database at once, register twice (retries), and race promoteIf against one champion: exactly one wins', async () => {
    const N = 6;
    const url = await server.createDatabase('race');
    const runs = Array.from({ length: N }, (_, i) => `race-${i}`);
    const dirs = await Promise.all(runs.map((r, i) => artifactDir(r, 10 + i)));
    // every child opens the empty database at the same time (schema creation races too)
    const children = runs.map((r, i) =>
      spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'registry-race.child.ts'), url, r, dirs[i]], { cwd: __dirname }),
    );
    const next = children.map(lines);
    let reg: ChampionRegistry | undefined;
    try {
      expect(await Promise.all(next.map((n) => n()))).toEqual(runs.map(() => 'ready'));
      reg = await openRegistry(url);
      await reg.registerRun({ runId: 'champ', family: 'bert4rec', useCase: 'next_item' });
      const champ = (await reg.registerArtifact('champ', await artifactDir('champ', 1))).artifactId;
      await reg.promote(champ, 'first');
      const before = await reg.history('bert4rec', 'next_item');
      // all at once: one write each
      for (const c of children) c.stdin.write(`go ${champ}\n`);
      const results = (await Promise.all(next.map((n) => n()))).map(
        (l) => JSON.parse(l) as { runId: string; artifactId: string; promoted: boolean; reason: string; champion: string },
      );
      const winners = results.filter((r) => r.promoted);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !x.promoted))
        expect(r.reason).toMatch(/the champion changed since the gate \(now .*, gated against champ-/);
      // every loser learns who won
      expect(new Set(results.map((r) => r.champion))).toEqual(new Set([winners[0].artifactId]));
      const after = (await reg.history('bert4rec', 'next_item')).slice(before.length);
      expect(after.map((e) => [e.action, e.artifactId])).toEqual([['promote', winners[0].artifactId]]);
      expect((await reg.champion('bert4rec', 'next_item'))?.artifactId).toBe(winners[0].artifactId);
      // the retried registrations left one row each
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
        expect(await count(`SELECT count(*) AS n FROM runs WHERE run_id LIKE 'race-%'`)).toBe(N);
        expect(await count(`SELECT count(*) AS n FROM artifacts WHERE run_id LIKE 'race-%'`)).toBe(N);
        expect(await count(`SELECT count(*) AS n FROM metrics WHERE run_id LIKE 'race-%'`)).toBe(2 * N);
        expect(await count(`SELECT count(*) AS n FROM events WHERE action = 'promote'`)).toBe(2);
      } finally {
        await db.end();
      }
    } finally {
      await reg?.close();
      for (const c of children) c.kill('SIGKILL');
    }
  }, 120_000);

  it("a writer waits for its line's lock; a holder that dies releases it; a lock time-out is a retryable CFM_E_STATE", async () => {
    const url = await server.createDatabase('locks');
    const reg = await PgRegistry.open(url);
    const impatient = await PgRegistry.open(url, { lockTimeoutMs: 300 });
    try {
      await reg.registerRun({ runId: 'l-1', family: 'bert4rec', useCase: 'next_item' });
      const a = (await reg.registerArtifact('l-1', await artifactDir('l-1', 3))).artifactId;
      // another process takes the line's lock the way PgRegistry does and holds it until killed
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `const pg = require('pg');
        const c = new pg.Client({ connectionString: ${JSON.stringify(url)} });
        c.connect().then(() => c.query('BEGIN')).then(() => c.query("SELECT pg_advisory_xact_lock(1128680786, hashtext('[\\"bert4rec\\",\\"next_item\\"]'))"))
          .then(() => process.stdout.write('locked\\n'));
        setInterval(() => {}, 1000);`,
        ],
        { cwd: __dirname },
      );
      const next = lines(holder);
      expect(await next()).toBe('locked');
      const busy = await impatient.promoteIf(a, null).catch((x: unknown) => x);
      expect(isCfmError(busy) && busy.retryable && /registry busy/.test(busy.message)).toBe(true);
      let done = false;
      const waiting = reg.promoteIf(a, null, 'after the holder').then((r) => ((done = true), r));
      await new Promise((r) => setTimeout(r, 500));
      expect(done).toBe(false);
      holder.kill('SIGKILL');
      expect(await waiting).toEqual({ promoted: true, reason: 'after the holder', champion: a });
      expect((await reg.history('bert4rec', 'next_item')).map((e) => e.action)).toEqual(['promote']);
    } finally {
      await reg.close();
      await impatient.close();
    }
  }, 60_000);
});
