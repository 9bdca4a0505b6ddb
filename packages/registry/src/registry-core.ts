import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfmError, sha256 } from '@cfm/core';
import { MANIFEST_FILE, verifyArtifact } from '@cfm/export';
import type { ChampionRegistry, PromoteResult, RegistryEvent } from './registry-api';
import type { ArtifactRecord, Comparison, MetricRecord, RegistryAction, RunRecord } from './registry-schema';

export type Row = Record<string, unknown>;

/** What the shared registry logic needs of a database: statements with $1.. parameters. */
export interface Sql {
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
}

/** the (family, use case) whose champion line a transaction changes: the backend serializes writers on it */
export interface Line {
  family: string;
  useCase: string;
}

/** a time column as ISO text (DuckDB keeps text, PostgreSQL gives a Date) */
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/**
 * The registry's logic over SQL both backends speak (upserts with ON CONFLICT, $n parameters). A backend gives the
 * connection for plain statements, transactions (holding the line's write lock when one is named), and the append
 * of an event.
 */
export abstract class SqlRegistry implements ChampionRegistry {
  abstract readonly target: string;
  abstract close(): void | Promise<void>;
  /** statements outside a transaction */
  protected abstract readonly db: Sql;
  /** `fn` in one transaction; with a line, no other writer of that line (in any process) runs until it ends */
  protected abstract transaction<T>(line: Line | null, fn: (q: Sql) => Promise<T>): Promise<T>;
  protected abstract appendEvent(q: Sql, line: Line, action: RegistryAction, artifactId: string, reason: string): Promise<void>;

  async registerRun(run: RunRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO runs (run_id, family, use_case, dataset, config_hash, data_hash, seed, code_version, run_dir, status, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (run_id) DO UPDATE SET family = excluded.family, use_case = excluded.use_case, dataset = excluded.dataset,
         config_hash = excluded.config_hash, data_hash = excluded.data_hash, seed = excluded.seed, code_version = excluded.code_version,
         run_dir = excluded.run_dir, status = excluded.status`,
      [
        run.runId,
        run.family,
        run.useCase,
        run.dataset ?? null,
        run.configHash ?? null,
        run.dataHash ?? null,
        run.seed ?? null,
        run.codeVersion ?? null,
        run.runDir ?? null,
        run.status ?? 'finished',
        new Date().toISOString(),
      ],
    );
  }

  async recordMetrics(runId: string, metrics: MetricRecord[]): Promise<void> {
    await this.requireRun(runId);
    for (const m of metrics) {
      if (!Number.isFinite(m.value)) throw new CfmError('CFM_E_CONFIG', `metric value ${m.value} is not finite`, { field: m.name });
    }
    await this.transaction(null, async (q) => {
      for (const m of metrics) {
        await q.run(
          `INSERT INTO metrics (run_id, name, value, protocol, split, higher_is_better) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (run_id, name, split) DO UPDATE SET value = excluded.value, protocol = excluded.protocol, higher_is_better = excluded.higher_is_better`,
          [runId, m.name, m.value, m.protocol, m.split ?? 'test', m.higherIsBetter ?? true],
        );
      }
    });
  }

  async registerArtifact(runId: string, dir: string, o: { location?: string } = {}): Promise<ArtifactRecord> {
    const run = await this.requireRun(runId);
    const manifest = verifyArtifact(dir);
    if (manifest.family !== run.family) {
      throw new CfmError('CFM_E_ARTIFACT', `artifact family "${manifest.family}" is not run ${runId}'s family "${run.family}"`, {
        file: join(dir, MANIFEST_FILE),
        field: 'family',
      });
    }
    const manifestSha = sha256(readFileSync(join(dir, MANIFEST_FILE)));
    const artifactId = `${runId}-${manifestSha.slice(0, 8)}`;
    await this.db.run(
      `INSERT INTO artifacts (artifact_id, run_id, family, use_case, path, manifest_sha, vocab_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (artifact_id) DO UPDATE SET path = excluded.path, manifest_sha = excluded.manifest_sha, vocab_hash = excluded.vocab_hash`,
      [
        artifactId,
        runId,
        manifest.family,
        run.useCase,
        o.location ?? resolve(dir),
        manifestSha,
        manifest.vocabHash ?? null,
        new Date().toISOString(),
      ],
    );
    return this.artifactOn(this.db, artifactId);
  }

  artifact(artifactId: string): Promise<ArtifactRecord> {
    return this.artifactOn(this.db, artifactId);
  }

  async metrics(runId: string): Promise<Required<MetricRecord>[]> {
    const rows = await this.db.rows(`SELECT * FROM metrics WHERE run_id = $1 ORDER BY name, split`, [runId]);
    return rows.map((r) => ({
      name: r.name as string,
      value: Number(r.value),
      protocol: r.protocol as string,
      split: r.split as string,
      higherIsBetter: r.higher_is_better as boolean,
    }));
  }

  async setChallenger(artifactId: string, reason = ''): Promise<void> {
    const a = await this.artifact(artifactId);
    await this.transaction(a, async (q) => {
      if ((await this.state(q, a)).challenger !== artifactId) await this.appendEvent(q, a, 'challenge', artifactId, reason);
    });
  }

  async promote(artifactId: string, reason = ''): Promise<void> {
    const a = await this.artifact(artifactId);
    await this.transaction(a, async (q) => {
      if ((await this.state(q, a)).stack.at(-1) !== artifactId) await this.appendEvent(q, a, 'promote', artifactId, reason);
    });
  }

  async promoteIf(artifactId: string, expected: string | null, reason = ''): Promise<PromoteResult> {
    const a = await this.artifact(artifactId);
    return this.transaction(a, async (q) => {
      const now = (await this.state(q, a)).stack.at(-1) ?? null;
      if (now === artifactId) return { promoted: false, reason: `${artifactId} is already the champion`, champion: now };
      if (now !== expected) {
        return {
          promoted: false,
          reason: `the champion changed since the gate (now ${now ?? 'none'}, gated against ${expected ?? 'none'}): run the gate again`,
          champion: now,
        };
      }
      await this.appendEvent(q, a, 'promote', artifactId, reason);
      return { promoted: true, reason, champion: artifactId };
    });
  }

  async rollback(family: string, useCase: string, reason = '', opts: { expected?: string } = {}): Promise<string> {
    const line = { family, useCase };
    return this.transaction(line, async (q) => {
      const events = await this.events(q, line);
      const { stack } = replay(events);
      const now = stack.at(-1);
      if (opts.expected !== undefined && now !== opts.expected) {
        const last = events.at(-1);
        // the roll-back of `expected` is the last thing that happened: this is a retry of it
        if (last?.action === 'rollback' && last.artifactId === opts.expected && now) return now;
        throw new CfmError(
          'CFM_E_STATE',
          `the champion of ${family}/${useCase} is ${now ?? 'none'}, not ${opts.expected}: not rolled back`,
          { file: this.target },
        );
      }
      if (stack.length < 2)
        throw new CfmError('CFM_E_STATE', `no earlier champion of ${family}/${useCase} to roll back to`, { file: this.target });
      await this.appendEvent(q, line, 'rollback', stack[stack.length - 1], reason);
      return stack[stack.length - 2];
    });
  }

  async champion(family: string, useCase: string): Promise<ArtifactRecord | undefined> {
    const top = (await this.state(this.db, { family, useCase })).stack.at(-1);
    return top ? this.artifact(top) : undefined;
  }

  async challenger(family: string, useCase: string): Promise<ArtifactRecord | undefined> {
    const { challenger } = await this.state(this.db, { family, useCase });
    return challenger ? this.artifact(challenger) : undefined;
  }

  history(family: string, useCase: string): Promise<RegistryEvent[]> {
    return this.events(this.db, { family, useCase });
  }

  /** Refuses when the champion's metric was measured under another protocol. */
  async compareWithChampion(runId: string, metric: string, opts: { split?: string; minDelta?: number } = {}): Promise<Comparison> {
    const run = await this.requireRun(runId);
    const split = opts.split ?? 'test';
    const mine = (await this.metrics(runId)).find((m) => m.name === metric && m.split === split);
    if (!mine) throw new CfmError('CFM_E_STATE', `run ${runId} has no ${split} metric "${metric}"`, { file: this.target, field: metric });
    const base = { metric, protocol: mine.protocol, higherIsBetter: mine.higherIsBetter, challenger: { runId, value: mine.value } };
    const champ = await this.champion(run.family, run.useCase);
    if (!champ) return { ...base, better: true, reason: `no champion for ${run.family}/${run.useCase} yet` };
    const theirs = (await this.metrics(champ.runId)).find((m) => m.name === metric && m.split === split);
    // a champion that cannot be compared is kept: the gate rejects with the reason (the workflow goes on)
    if (!theirs)
      return { ...base, better: false, reason: `champion ${champ.artifactId} has no ${split} metric "${metric}": not comparable, kept` };
    if (theirs.protocol !== mine.protocol) {
      return {
        ...base,
        better: false,
        reason: `protocols differ: champion "${theirs.protocol}" vs challenger "${mine.protocol}": not comparable, kept`,
      };
    }
    const improvement = mine.higherIsBetter ? mine.value - theirs.value : theirs.value - mine.value;
    const minDelta = opts.minDelta ?? 0;
    const better = improvement > minDelta;
    return {
      ...base,
      champion: { artifactId: champ.artifactId, runId: champ.runId, value: theirs.value },
      improvement,
      better,
      reason: `${metric} ${fmt(mine.value)} vs champion ${fmt(theirs.value)}: ${better ? 'better' : 'not better'} by more than ${minDelta}`,
    };
  }

  protected async artifactOn(q: Sql, artifactId: string): Promise<ArtifactRecord> {
    const rows = await q.rows(`SELECT * FROM artifacts WHERE artifact_id = $1`, [artifactId]);
    if (!rows.length) throw new CfmError('CFM_E_STATE', `no artifact "${artifactId}" in the registry`, { file: this.target });
    const r = rows[0];
    return {
      artifactId: r.artifact_id as string,
      runId: r.run_id as string,
      family: r.family as string,
      useCase: r.use_case as string,
      path: r.path as string,
      manifestSha: r.manifest_sha as string,
      vocabHash: (r.vocab_hash as string) ?? undefined,
      createdAt: iso(r.created_at),
    };
  }

  private async events(q: Sql, line: Line): Promise<RegistryEvent[]> {
    const rows = await q.rows(`SELECT * FROM events WHERE family = $1 AND use_case = $2 ORDER BY seq`, [line.family, line.useCase]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      action: r.action as RegistryAction,
      artifactId: r.artifact_id as string,
      reason: (r.reason as string) ?? '',
      at: iso(r.at_time),
    }));
  }

  private async state(q: Sql, line: Line): Promise<{ stack: string[]; challenger?: string }> {
    return replay(await this.events(q, line));
  }

  private async requireRun(runId: string): Promise<RunRecord> {
    const rows = await this.db.rows(`SELECT * FROM runs WHERE run_id = $1`, [runId]);
    if (!rows.length) throw new CfmError('CFM_E_STATE', `no run "${runId}" in the registry`, { file: this.target });
    return { runId, family: rows[0].family as string, useCase: rows[0].use_case as string };
  }
}

/** champion stack and challenger of a line from its events, in order */
function replay(events: RegistryEvent[]): { stack: string[]; challenger?: string } {
  const stack: string[] = [];
  let challenger: string | undefined;
  for (const e of events) {
    if (e.action === 'promote') {
      stack.push(e.artifactId);
      if (challenger === e.artifactId) challenger = undefined;
    } else if (e.action === 'rollback') stack.pop();
    else challenger = e.artifactId;
  }
  return { stack, challenger };
}

const fmt = (x: number) => (Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(4));
