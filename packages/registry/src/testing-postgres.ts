// Test harness: a throw-away PostgreSQL server (the distribution's binaries, installed by infra/postgres/install.sh):
// initdb into a temp folder, pg_ctl start on a free loopback port with the unix socket in that folder, stop and
// remove after. As root (initdb and pg_ctl refuse root) the server runs as the `postgres` system user (else `nobody`).
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';

/** tests that need PostgreSQL must run (not skip) when CI=true */
export const postgresRequired = process.env.CI === 'true';

const SERVER_BINARIES = ['initdb', 'pg_ctl', 'postgres'];

/** the folder with initdb, pg_ctl and postgres: env CFM_PG_BIN, else the newest /usr/lib/postgresql/<major>/bin, else
 * the folder initdb on PATH resolves to; undefined when none has all three */
export function postgresBinDir(): string | undefined {
  let majors: string[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    /* not a Debian layout */
  }
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, 'initdb'))
    .filter((f) => existsSync(f))
    .map((f) => dirname(realpathSync(f)));
  const candidates = [process.env.CFM_PG_BIN, ...majors.map((v) => `/usr/lib/postgresql/${v}/bin`), ...onPath];
  return candidates.find((d): d is string => !!d && SERVER_BINARIES.every((b) => existsSync(join(d, b))));
}

/** why PostgreSQL tests are skipped here, or undefined when they run */
export function postgresSkipReason(): string | undefined {
  if (postgresBinDir() || postgresRequired) return undefined;
  return 'skipped: PostgreSQL server binaries not installed (bash infra/postgres/install.sh)';
}

export interface PostgresServer {
  /** postgres://cfm@127.0.0.1:<port>/cfm: a database made at start (user cfm, trust authentication, loopback only) */
  url: string;
  port: number;
  /** the temp folder: data/, the unix socket, server.log */
  dir: string;
  /** milliseconds from initdb to a database that takes connections */
  startMs: number;
  /** makes another database on this server (nothing when it exists) and returns its URL */
  createDatabase(name: string): Promise<string>;
  /** the server's log so far */
  log(): string;
  /** stops the server (fast shutdown) and removes the folder */
  stop(): Promise<void>;
}

/** who runs the server: nobody in particular, or an unprivileged user when this process is root */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'));
  const u = users.find((f) => f[0] === 'postgres') ?? users.find((f) => f[0] === 'nobody');
  if (!u) throw new Error('running as root and there is neither a postgres nor a nobody user to run PostgreSQL as');
  return { uid: Number(u[2]), gid: Number(u[3]) };
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  user: { uid: number; gid: number } | undefined,
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { cwd, ...user, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', fail);
    p.once('close', (code) => {
      clearTimeout(t);
      ok({ code, out });
    });
  });
}

/**
 * Starts a PostgreSQL server for a test and returns how to reach it. Throws when the server binaries are missing
 * (see postgresSkipReason). Each call is its own server; call stop() after (a process that exits first stops it too).
 */
export async function startPostgres(opts: { timeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found: bash infra/postgres/install.sh (or set CFM_PG_BIN to their folder)');
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'cfm-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const pgCtl = join(bin, 'pg_ctl');
  // a test process that ends without stop() must not leave a server behind
  const onExit = () => {
    spawnSync(pgCtl, ['-D', data, '-m', 'immediate', '-s', 'stop'], { cwd: dir, ...user, stdio: 'ignore', timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const fail = (why: string) => {
    onExit();
    process.off('exit', onExit);
    return new Error(why);
  };
  const init = await run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'cfm', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    dir,
    user,
    timeoutMs,
  );
  if (init.code !== 0) throw fail(`initdb failed (${init.code}): ${init.out.slice(-2000)}`);
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // -F: no fsync (a test server); the socket lives in the temp folder, TCP on loopback only
    const server = `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -F -c max_connections=200`;
    const start = await run(
      pgCtl,
      ['-D', data, '-l', logFile, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-s', '-o', server, 'start'],
      dir,
      user,
      timeoutMs + 5_000,
    );
    if (start.code === 0) break;
    // another process took the port between freePort and the bind: try another
    if (attempt < 3 && /could not (bind|create)|already in use/i.test(log())) continue;
    throw fail(`pg_ctl start failed (${start.code}): ${start.out.slice(-1000)}\n${log().slice(-2000)}`);
  }
  const urlOf = (db: string) => `postgres://cfm@127.0.0.1:${port}/${db}`;
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}": lower-case letters, digits and _ only`);
    const admin = new pg.Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42P04') throw e; // exists
    } finally {
      await admin.end();
    }
    return urlOf(name);
  };
  let url: string;
  try {
    url = await createDatabase('cfm');
  } catch (e) {
    throw fail(`PostgreSQL on port ${port} takes no connections: ${(e as Error).message}\n${log().slice(-2000)}`);
  }
  const stop = async () => {
    process.off('exit', onExit);
    const fast = await run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', '-s', 'stop'], dir, user, 40_000);
    if (fast.code !== 0) await run(pgCtl, ['-D', data, '-m', 'immediate', '-s', 'stop'], dir, user, 20_000);
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, port, dir, startMs: Date.now() - t0, createDatabase, log, stop };
}
