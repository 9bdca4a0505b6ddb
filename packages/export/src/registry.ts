import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { CfmError, sha256 } from '@cfm/core';
import { MANIFEST_FILE, verifyArtifact } from './artifact';
import {
  REGISTRY_DDL, type ArtifactRecord, type Comparison, type MetricRecord, type RegistryAction, type RunRecord,
} from './registry-schema';

/** Model registry: runs, artifacts and metrics, and champion / challenger per (family, use case). */
export class Registry {
  private constructor(readonly file: string, private readonly instance: DuckDBInstance, private readonly con: DuckDBConnection) {}

  /** Opens (creating) the registry file; while another process holds it (DuckDB allows one writer per file), waits
   * up to `waitMs` for it. */
  static async open(file: string, o: { waitMs?: number } = {}): Promise<Registry> {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    const t0 = Date.now();
    let instance: DuckDBInstance;
    for (;;) {
      try {
        instance = await DuckDBInstance.create(file);
        break;
      } catch (e) {
        if (!/lock/i.test((e as Error).message) || Date.now() - t0 > (o.waitMs ?? 60_000)) {
          throw new CfmError('CFM_E_STATE', `cannot open the registry: ${(e as Error).message.split('\n')[0]}`, { file }, true);
        }
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    const con = await instance.connect();
    for (const ddl of REGISTRY_DDL) await con.run(ddl);
    return new Registry(file, instance, con);
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }

  async registerRun(run: RunRecord): Promise<void> {
    await this.con.run(
      `INSERT OR REPLACE INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [run.runId, run.family, run.useCase, run.dataset ?? null, run.configHash ?? null, run.dataHash ?? null,
        run.seed ?? null, run.codeVersion ?? null, run.runDir ?? null, run.status ?? 'finished', new Date().toISOString()],
    );
  }

  async recordMetrics(runId: string, metrics: MetricRecord[]): Promise<void> {
    await this.requireRun(runId);
    for (const m of metrics) {
      if (!Number.isFinite(m.value)) throw new CfmError('CFM_E_CONFIG', `metric value ${m.value} is not finite`, { field: m.name });
      await this.con.run(`INSERT OR REPLACE INTO metrics VALUES ($1, $2, $3, $4, $5, $6)`,
        [runId, m.name, m.value, m.protocol, m.split ?? 'test', m.higherIsBetter ?? true]);
    }
  }

  /** Register a saved artifact directory (verified first); its id is the run id + manifest hash. */
  async registerArtifact(runId: string, dir: string): Promise<ArtifactRecord> {
    const run = await this.requireRun(runId);
    const manifest = verifyArtifact(dir);
    if (manifest.family !== run.family) {
      throw new CfmError('CFM_E_ARTIFACT', `artifact family "${manifest.family}" is not run ${runId}'s family "${run.family}"`, { file: join(dir, MANIFEST_FILE), field: 'family' });
    }
    const manifestSha = sha256(readFileSync(join(dir, MANIFEST_FILE)));
    const rec: ArtifactRecord = {
      artifactId: `${runId}-${manifestSha.slice(0, 8)}`, runId, family: manifest.family, useCase: run.useCase,
      path: resolve(dir), manifestSha, vocabHash: manifest.vocabHash, createdAt: new Date().toISOString(),
    };
    await this.con.run(`INSERT OR REPLACE INTO artifacts VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [rec.artifactId, rec.runId, rec.family, rec.useCase, rec.path, rec.manifestSha, rec.vocabHash ?? null, rec.createdAt]);
    return rec;
  }

  async artifact(artifactId: string): Promise<ArtifactRecord> {
    const rows = await this.rows(`SELECT * FROM artifacts WHERE artifact_id = $1`, [artifactId]);
    if (!rows.length) throw new CfmError('CFM_E_STATE', `no artifact "${artifactId}" in the registry`, { file: this.file });
    const r = rows[0];
    return {
      artifactId: r.artifact_id as string, runId: r.run_id as string, family: r.family as string, useCase: r.use_case as string,
      path: r.path as string, manifestSha: r.manifest_sha as string, vocabHash: (r.vocab_hash as string) ?? undefined, createdAt: r.created_at as string,
    };
  }

  async metrics(runId: string): Promise<Required<MetricRecord>[]> {
    const rows = await this.rows(`SELECT * FROM metrics WHERE run_id = $1 ORDER BY name, split`, [runId]);
    return rows.map((r) => ({ name: r.name as string, value: r.value as number, protocol: r.protocol as string, split: r.split as string, higherIsBetter: r.higher_is_better as boolean }));
  }

  /** Mark an artifact as the challenger of its (family, use case). */
  async setChallenger(artifactId: string, reason = ''): Promise<void> {
    const a = await this.artifact(artifactId);
    await this.appendEvent(a.family, a.useCase, 'challenge', artifactId, reason);
  }

  /** Make an artifact the champion of its (family, use case); the previous one stays on the roll-back stack. */
  async promote(artifactId: string, reason = ''): Promise<void> {
    const a = await this.artifact(artifactId);
    await this.appendEvent(a.family, a.useCase, 'promote', artifactId, reason);
  }

  /** Compare-and-promote: makes `artifactId` the champion only if the champion is still `expected` (the one the gate
   * compared against; null: none). Two challengers gated against the same champion cannot both win. */
  async promoteIf(artifactId: string, expected: string | null, reason = ''): Promise<{ promoted: boolean; reason: string }> {
    // one transaction at a time on this connection
    const run = this.serial.then(() => this.casPromote(artifactId, expected, reason));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private serial: Promise<unknown> = Promise.resolve();

  private async casPromote(artifactId: string, expected: string | null, reason: string): Promise<{ promoted: boolean; reason: string }> {
    const a = await this.artifact(artifactId);
    await this.con.run('BEGIN TRANSACTION');
    try {
      const now = (await this.state(a.family, a.useCase)).stack.at(-1) ?? null;
      if (now !== expected) {
        await this.con.run('ROLLBACK');
        return { promoted: false, reason: `the champion changed since the gate (now ${now ?? 'none'}, gated against ${expected ?? 'none'}): run the gate again` };
      }
      await this.appendEvent(a.family, a.useCase, 'promote', artifactId, reason);
      await this.con.run('COMMIT');
      return { promoted: true, reason };
    } catch (e) {
      await this.con.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /** Restore the champion that preceded the current one; returns it. */
  async rollback(family: string, useCase: string, reason = ''): Promise<string> {
    const { stack } = await this.state(family, useCase);
    if (stack.length < 2) throw new CfmError('CFM_E_STATE', `no earlier champion of ${family}/${useCase} to roll back to`, { file: this.file });
    await this.appendEvent(family, useCase, 'rollback', stack[stack.length - 1], reason);
    return stack[stack.length - 2];
  }

  async champion(family: string, useCase: string): Promise<ArtifactRecord | undefined> {
    const { stack } = await this.state(family, useCase);
    return stack.length ? this.artifact(stack[stack.length - 1]) : undefined;
  }

  async challenger(family: string, useCase: string): Promise<ArtifactRecord | undefined> {
    const { challenger } = await this.state(family, useCase);
    return challenger ? this.artifact(challenger) : undefined;
  }

  async history(family: string, useCase: string): Promise<Array<{ seq: number; action: RegistryAction; artifactId: string; reason: string; at: string }>> {
    const rows = await this.rows(`SELECT * FROM events WHERE family = $1 AND use_case = $2 ORDER BY seq`, [family, useCase]);
    return rows.map((r) => ({ seq: r.seq as number, action: r.action as RegistryAction, artifactId: r.artifact_id as string, reason: (r.reason as string) ?? '', at: r.at_time as string }));
  }

  /** The promotion gate: does run `runId` beat the champion of its (family, use case) on `metric`?
   * Refuses when the champion's metric was measured under another protocol. */
  async compareWithChampion(runId: string, metric: string, opts: { split?: string; minDelta?: number } = {}): Promise<Comparison> {
    const run = await this.requireRun(runId);
    const split = opts.split ?? 'test';
    const mine = (await this.metrics(runId)).find((m) => m.name === metric && m.split === split);
    if (!mine) throw new CfmError('CFM_E_STATE', `run ${runId} has no ${split} metric "${metric}"`, { file: this.file, field: metric });
    const base = { metric, protocol: mine.protocol, higherIsBetter: mine.higherIsBetter, challenger: { runId, value: mine.value } };
    const champ = await this.champion(run.family, run.useCase);
    if (!champ) return { ...base, better: true, reason: `no champion for ${run.family}/${run.useCase} yet` };
    const theirs = (await this.metrics(champ.runId)).find((m) => m.name === metric && m.split === split);
    // a champion that cannot be compared is kept: the gate rejects with the reason (the workflow goes on)
    if (!theirs) return { ...base, better: false, reason: `champion ${champ.artifactId} has no ${split} metric "${metric}": not comparable, kept` };
    if (theirs.protocol !== mine.protocol) {
      return { ...base, better: false, reason: `protocols differ: champion "${theirs.protocol}" vs challenger "${mine.protocol}": not comparable, kept` };
    }
    const improvement = mine.higherIsBetter ? mine.value - theirs.value : theirs.value - mine.value;
    const minDelta = opts.minDelta ?? 0;
    const better = improvement > minDelta;
    return {
      ...base, champion: { artifactId: champ.artifactId, runId: champ.runId, value: theirs.value }, improvement, better,
      reason: `${metric} ${fmt(mine.value)} vs champion ${fmt(theirs.value)}: ${better ? 'better' : 'not better'} by more than ${minDelta}`,
    };
  }

  private async state(family: string, useCase: string): Promise<{ stack: string[]; challenger?: string }> {
    const stack: string[] = [];
    let challenger: string | undefined;
    for (const e of await this.history(family, useCase)) {
      if (e.action === 'promote') {
        stack.push(e.artifactId);
        if (challenger === e.artifactId) challenger = undefined;
      } else if (e.action === 'rollback') stack.pop();
      else challenger = e.artifactId;
    }
    return { stack, challenger };
  }

  private async appendEvent(family: string, useCase: string, action: RegistryAction, artifactId: string, reason: string): Promise<void> {
    await this.con.run(
      `INSERT INTO events SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5, $6 FROM events`,
      [family, useCase, action, artifactId, reason, new Date().toISOString()],
    );
  }

  private async requireRun(runId: string): Promise<RunRecord> {
    const rows = await this.rows(`SELECT * FROM runs WHERE run_id = $1`, [runId]);
    if (!rows.length) throw new CfmError('CFM_E_STATE', `no run "${runId}" in the registry`, { file: this.file });
    return { runId, family: rows[0].family as string, useCase: rows[0].use_case as string };
  }

  private async rows(sql: string, params: DuckDBValue[]): Promise<Record<string, unknown>[]> {
    return (await this.con.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
  }
}

const fmt = (x: number) => (Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(4));
