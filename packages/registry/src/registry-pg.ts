import pg from 'pg';
import { CfmError, isCfmError } from '@cfm/core';
import { SqlRegistry, type Line, type Sql } from './registry-core';
import { PG_REGISTRY_DDL, type RegistryAction } from './registry-schema';

/** first key of every advisory lock the registry takes ('CFMR'); the second is the line's hash, or 0 for the schema */
const LOCK_SPACE = 0x43464d52;

/** a connection error worth retrying: the server is down, starting, or unreachable for now */
const transient = (e: unknown) => {
  const code = (e as { code?: string }).code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EAI_AGAIN', '57P03', '53300', '08006', '08001'].includes(code) ||
    /timeout|terminated/i.test((e as Error).message)
  );
};

/** the URL without its password, for messages */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export interface PgRegistryOptions {
  /** keep trying to reach the server this long (default 10 s) */
  waitMs?: number;
  /** connections kept (default 4) */
  poolSize?: number;
  /** how long a writer waits for its (family, use case)'s lock before failing, retryably (default 30 s) */
  lockTimeoutMs?: number;
}

/**
 * The champion registry in PostgreSQL: any number of processes on any number of machines. Each write to a
 * (family, use case)'s champion line (promote, promote-if, challenge, roll-back) is one transaction that first
 * takes `pg_advisory_xact_lock('CFMR', hashtext(line))`, then replays the line's events and appends its own: two
 * writers of one line run one after the other, so a compare-and-promote sees the champion as the previous writer
 * left it. The lock ends with the transaction (commit, roll-back, or the connection's death).
 */
export class PgRegistry extends SqlRegistry {
  readonly target: string;
  protected readonly db: Sql;

  private constructor(
    url: string,
    private readonly pool: pg.Pool,
    private readonly o: PgRegistryOptions,
  ) {
    super();
    this.target = redactUrl(url);
    this.db = {
      rows: async (sql, params) => (await this.query(pool, sql, params)).rows,
      run: async (sql, params) => void (await this.query(pool, sql, params)),
    };
  }

  static async open(url: string, o: PgRegistryOptions = {}): Promise<PgRegistry> {
    const pool = new pg.Pool({ connectionString: url, max: o.poolSize ?? 4, connectionTimeoutMillis: 10_000 });
    // an idle connection that the server drops must not take the process down; the next query reconnects
    pool.on('error', () => undefined);
    const reg = new PgRegistry(url, pool, o);
    const t0 = Date.now();
    for (;;) {
      try {
        await reg.transaction(null, async (q) => {
          await q.run(`SELECT pg_advisory_xact_lock(${LOCK_SPACE}, 0)`);
          for (const ddl of PG_REGISTRY_DDL) await q.run(ddl);
        });
        return reg;
      } catch (e) {
        const retry = isCfmError(e) ? e.retryable : transient(e);
        if (!retry || Date.now() - t0 > (o.waitMs ?? 10_000)) {
          await pool.end().catch(() => undefined);
          throw new CfmError(
            'CFM_E_STATE',
            `cannot open the registry: ${(e as Error).message.split('\n')[0]}`,
            { file: reg.target },
            retry,
          );
        }
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  protected async transaction<T>(line: Line | null, fn: (q: Sql) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const q: Sql = {
      rows: async (sql, params) => (await this.query(client, sql, params)).rows,
      run: async (sql, params) => void (await this.query(client, sql, params)),
    };
    let broken = false;
    try {
      await q.run('BEGIN');
      if (line) {
        await q.run(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.o.lockTimeoutMs ?? 30_000))}`);
        await q.run(`SELECT pg_advisory_xact_lock(${LOCK_SPACE}, hashtext($1))`, [JSON.stringify([line.family, line.useCase])]);
      }
      const out = await fn(q);
      await q.run('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw e;
    } finally {
      client.release(broken);
    }
  }

  protected async appendEvent(q: Sql, line: Line, action: RegistryAction, artifactId: string, reason: string): Promise<void> {
    await q.run(`INSERT INTO events (family, use_case, action, artifact_id, reason) VALUES ($1, $2, $3, $4, $5)`, [
      line.family,
      line.useCase,
      action,
      artifactId,
      reason,
    ]);
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw this.failure(e);
    }
  }

  private async query(on: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await on.query(sql, params);
    } catch (e) {
      throw this.failure(e);
    }
  }

  /** connection trouble and lock time-outs become retryable CfmErrors; the rest keeps its message */
  private failure(e: unknown): Error {
    if (isCfmError(e)) return e;
    const code = (e as { code?: string }).code;
    if (code === '55P03') return new CfmError('CFM_E_STATE', `registry busy: ${(e as Error).message}`, { file: this.target }, true);
    if (transient(e)) return new CfmError('CFM_E_STATE', `registry unreachable: ${(e as Error).message}`, { file: this.target }, true);
    return e as Error;
  }
}
