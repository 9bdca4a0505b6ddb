import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { CfmError } from '@cfm/core';
import { SqlRegistry, type Line, type Row, type Sql } from './registry-core';
import { REGISTRY_DDL, type RegistryAction } from './registry-schema';

/** The champion registry in one DuckDB file: the embedded default. DuckDB allows one writer per file, so one
 * process at a time (others wait in `open`); for many processes or machines see `PgRegistry`. */
export class Registry extends SqlRegistry {
  /** every statement of this connection, one after the other (a transaction holds the connection until it ends) */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly raw: Sql;
  protected readonly db: Sql;

  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
  ) {
    super();
    this.raw = {
      rows: async (sql, params = []) => (await con.runAndReadAll(sql, params as DuckDBValue[])).getRowObjectsJS() as Row[],
      run: async (sql, params = []) => void (await con.run(sql, params as DuckDBValue[])),
    };
    this.db = {
      rows: (sql, params) => this.turn(() => this.raw.rows(sql, params)),
      run: (sql, params) => this.turn(() => this.raw.run(sql, params)),
    };
  }

  get target(): string {
    return this.file;
  }

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

  // one process holds the file: taking turns on the connection serializes every writer
  protected transaction<T>(_line: Line | null, fn: (q: Sql) => Promise<T>): Promise<T> {
    return this.turn(async () => {
      await this.con.run('BEGIN TRANSACTION');
      try {
        const out = await fn(this.raw);
        await this.con.run('COMMIT');
        return out;
      } catch (e) {
        await this.con.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  protected async appendEvent(q: Sql, line: Line, action: RegistryAction, artifactId: string, reason: string): Promise<void> {
    await q.run(`INSERT INTO events SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5, $6 FROM events`, [
      line.family,
      line.useCase,
      action,
      artifactId,
      reason,
      new Date().toISOString(),
    ]);
  }

  private turn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => undefined);
    return run;
  }
}
