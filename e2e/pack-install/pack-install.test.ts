import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages a team installs outside this repository, packed with `npm pack` (the nx target builds them first),
// installed from the tarballs into a scratch project in the temp folder (third-party dependencies from the npm cache
// or the registry as usual) and used from plain `node`: no tsx, no source condition, no repository tools/ above.
const root = resolve(__dirname, '..', '..');
const PACKED = ['@cfm/core', '@cfm/eval', '@cfm/data', '@cfm/model-mcm', '@cfm/tensor', '@cfm/augment'];
const dirOf: Record<string, string> = {
  '@cfm/core': 'packages/core',
  '@cfm/eval': 'packages/eval',
  '@cfm/data': 'packages/data',
  '@cfm/model-mcm': 'packages/models/mcm',
  '@cfm/tensor': 'packages/tensor',
  '@cfm/augment': 'packages/augment',
};

interface Packed {
  name: string;
  filename: string;
  files: Array<{ path: string }>;
}

/** this environment without what ties a process to the workspace: the source condition, npm's per-run settings, CFM_* */
function outsideEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('CFM_') && (!k.startsWith('npm_') || keep.has(k))),
  );
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stderr.slice(-4000)}${stdout.slice(-2000)}`));
      else ok(stdout);
    });
  });
}

describe('the packed packages, installed outside the workspace', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'cfm-pack-install-'));
  const app = join(scratch, 'app');
  let packed: Packed[] = [];

  beforeAll(async () => {
    for (const name of PACKED) {
      expect(existsSync(join(root, dirOf[name], 'dist', 'index.js')), `${name} is not built (npx nx run-many -t build)`).toBe(true);
    }
    const tgz = join(scratch, 'tgz');
    mkdirSync(tgz);
    const workspaces = PACKED.flatMap((n) => ['-w', n]);
    packed = JSON.parse(await run('npm', ['pack', ...workspaces, '--pack-destination', tgz, '--json', '--silent'], root)) as Packed[];
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cfm-pack-check', version: '0.0.0', private: true }));
    copyFileSync(join(__dirname, 'consumer', 'check.mjs'), join(app, 'check.mjs'));
    const tarballs = packed.map((p) => join(tgz, p.filename));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs], app, outsideEnv());
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('packs built JavaScript with declarations and an exports map, not the sources', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([...PACKED].sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files, p.name).toContain('dist/index.js');
      expect(files, p.name).toContain('dist/index.d.ts');
      expect(
        files.filter((f) => f.startsWith('src/') || f.endsWith('.test.js')),
        p.name,
      ).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect(manifest.private, p.name).toBeUndefined();
      expect(manifest.exports['.'], p.name).toMatchObject({
        types: './dist/index.d.ts',
        import: './dist/index.js',
        require: './dist/index.js',
      });
    }
  });

  it('is installed where no repository tools/ folder is above it', () => {
    expect(relative(root, app).startsWith('..')).toBe(true);
    expect(existsSync(join(scratch, 'tools'))).toBe(false);
  });

  it('loads through require as well as import', async () => {
    const code =
      "const e = require('@cfm/eval'), d = require('@cfm/data'); if (typeof e.evaluateRanking !== 'function' || typeof d.prepareFromSources !== 'function') process.exit(1);";
    await run(process.execPath, ['-e', code], app, outsideEnv());
  });

  it('prepares a generated events file, trains a few MCM steps and ranks the test targets, all finite', async () => {
    const out = await run(process.execPath, ['check.mjs', join(scratch, 'work')], app, outsideEnv());
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, out.slice(-2000)).toBeDefined();
    const r = JSON.parse(line!.slice('RESULT '.length));
    // the native scan when the package ships its addon (dist/tools/native-data/, found from the installed package),
    // else DuckDB's ingest; the same counts either way
    const shipped = packed.find((p) => p.name === '@cfm/data')!.files.some((f) => f.path === 'dist/tools/native-data/cfm_data.node');
    expect(r.reader).toBe(shipped ? 'native-scan' : 'duckdb');
    expect(r.readerDuckDb).toBe('duckdb');
    expect(r.counts).toMatchObject({ users: 60, items: 24, events: 480, quarantined: 0 });
    expect(r.countsDuckDb).toEqual(r.counts);
    expect(r.losses).toHaveLength(3);
    for (const loss of r.losses) expect(Number.isFinite(loss)).toBe(true);
    expect(r.losses[2]).toBeLessThan(r.losses[0]);
    expect(r.rows).toBe(60);
    for (const key of ['hr@10', 'ndcg@10', 'mrr']) {
      expect(Number.isFinite(r.metrics[key]), key).toBe(true);
      expect(r.metrics[key]).toBeGreaterThanOrEqual(0);
      expect(r.metrics[key]).toBeLessThanOrEqual(1);
    }
  });
});
