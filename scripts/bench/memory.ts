/** npm run bench:memory — peak resident memory of every family's training and evaluation on one data set.
 * One child process per family (peak RSS is that process's own): the family's config resolved as `cfm train`
 * resolves it (paper defaults < the preset of --preset-dataset < --config k=v), training for --train-s seconds
 * (then cancelled through the fit's signal), then full-ranking validation of --valid customers, as the trainer's
 * validation runs it. Writes docs/results/memory.md (and .json).
 *   npm run bench:memory -- [--prepared DIR | --customers 31000 --items 24000 --days 120] [--families mcm,bert4rec,...]
 *                           [--preset-dataset s3rec-beauty] [--train-s 60] [--valid 1000] [--cap-mb 12000] [--out docs/results/memory.md]
 * Without --prepared, the simulator writes the data set (seed 5) and `cfm prepare` prepares it (leave-one-out) in
 * the temp folder, once per shape. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const tsx = join(root, 'node_modules', '.bin', 'tsx');

interface Row {
  family: string;
  preset: string | null;
  configHash: string;
  maxLen: number;
  batchSize: number;
  steps: number;
  msPerStep: number;
  rssAfterLoadMb: number;
  peakTrainMb: number;
  peakEvalMb: number;
  validNdcg10: number;
  evalSeconds: number;
  error?: string;
}

async function child(family: string, prepared: string, presetDataset: string, trainS: number, valid: number): Promise<void> {
  const [{ loadPrepared }, { initBackend }, { rankEval }, { getFamily, resolveRunConfig }] = await Promise.all([
    import('@cfm/data'),
    import('@cfm/tensor'),
    import('@cfm/eval'),
    import('@cfm/models'),
  ]);
  await initBackend();
  const peak = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const data = await loadPrepared(prepared);
  const rssAfterLoadMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  const resolved = resolveRunConfig(family, presetDataset || data.dataset, {});
  const config = resolved.config as { maxLen: number; batchSize: number };
  const model = getFamily(family).create(resolved.config, data) as ReturnType<ReturnType<typeof getFamily>['create']> & {
    progress?: unknown;
  };
  let steps = 0;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), trainS * 1000);
  const t0 = Date.now();
  model.progress = { start() {}, update() {}, finish() {}, log() {} };
  try {
    await model.fit(data, { signal: ac.signal, onProgress: (p) => (steps = p.step) });
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  }
  clearTimeout(timer);
  const msPerStep = steps ? (Date.now() - t0) / steps : Number.NaN;
  const peakTrainMb = peak();
  const e0 = Date.now();
  const r = rankEval(model, data, 'valid', { protocol: 'full', maxLen: config.maxLen, limit: valid });
  const row: Row = {
    family,
    preset: resolved.preset,
    configHash: resolved.hash,
    maxLen: config.maxLen,
    batchSize: config.batchSize,
    steps,
    msPerStep,
    rssAfterLoadMb,
    peakTrainMb,
    peakEvalMb: peak(),
    validNdcg10: r.metrics['ndcg@10'],
    evalSeconds: (Date.now() - e0) / 1000,
  };
  process.stdout.write(`RESULT ${JSON.stringify(row)}\n`);
}

/** a child process whose resident memory is watched (its largest process): above capMb its whole session is killed
 * (the machine is shared: an out-of-memory kill could take another process) */
function runChild(
  args: string[],
  capMb: number,
): Promise<{ stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null; capped: boolean; seconds: number }> {
  return new Promise((done) => {
    const t0 = Date.now();
    // its own session (detached), so that tsx's node grandchild is watched and killed with it
    const p = spawn(tsx, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let capped = false;
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    const watch = setInterval(() => {
      const rss = spawnSync('ps', ['-o', 'rss=', '--sid', String(p.pid)], { encoding: 'utf8' }).stdout;
      const mb = Math.max(
        0,
        ...rss
          .split('\n')
          .filter((x) => x.trim())
          .map((x) => Number(x) / 1024),
      );
      if (mb > capMb) {
        capped = true;
        process.kill(-p.pid!, 'SIGKILL');
      }
    }, 500);
    p.on('close', (status, signal) => {
      clearInterval(watch);
      done({ stdout, stderr, status, signal, capped, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

function ensurePrepared(customers: string, items: string, days: string): string {
  const base = join(tmpdir(), `cfm-bench-memory-${customers}x${items}x${days}`);
  const prepared = join(base, 'prepared');
  if (existsSync(join(prepared, 'manifest.json'))) return prepared;
  mkdirSync(base, { recursive: true });
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(tsx, [join(root, 'apps/cli/src/main.ts'), ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    if (r.status !== 0) throw new Error(`cfm ${args[0]} failed (exit ${r.status})`);
  };
  cli(['simulate', '--out', join(base, 'raw'), '--customers', customers, '--items', items, '--days', days, '--seed', '5']);
  cli(['prepare', '--dataset', 'path:raw', '--out', prepared, '--split', 'loo'], { CFM_DATA_DIR: base });
  return prepared;
}

/** the commit the run starts from (+dirty: with uncommitted changes to tracked files) */
function codeVersion(): string {
  const commit = spawnSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  return commit + (dirty ? '+dirty' : '');
}

function page(
  rows: Row[],
  o: { code: string; prepared: string; command: string; load0: number[]; load1: number[]; trainS: number; valid: number },
): string {
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const lines = [
    '# Memory per family',
    '',
    'Generated by `npm run bench:memory`; do not edit by hand.',
    '',
    `- command: \`${o.command}\``,
    `- data: \`${o.prepared}\``,
    `- commit \`${o.code}\` (at the start); machine ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average ${o.load0.map((x) => x.toFixed(1)).join(' / ')} before, ${o.load1.map((x) => x.toFixed(1)).join(' / ')} after`,
    `- each family in its own process: training for ${o.trainS} s (cancelled), then full-ranking validation of ${o.valid} customers; peak = the process's maxRSS`,
    '',
    '| family | preset | maxLen | batch | steps | ms/step | RSS after load (MB) | peak RSS, training (MB) | peak RSS, with evaluation (MB) | eval s | config |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      r.error
        ? `| ${r.family} | | | | | | | | | | error: ${r.error.replace(/\|/g, '/')} |`
        : `| ${r.family} | ${r.preset ?? '–'} | ${r.maxLen} | ${r.batchSize} | ${r.steps} | ${f(r.msPerStep)} | ${r.rssAfterLoadMb} | ${r.peakTrainMb} | ${r.peakEvalMb} | ${f(r.evalSeconds, 1)} | \`${r.configHash}\` |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (argv[0] === '--child') return child(argv[1], argv[2], argv[3], Number(argv[4]), Number(argv[5]));
  const prepared = argv.includes('--prepared')
    ? resolve(arg('prepared', ''))
    : ensurePrepared(arg('customers', '31000'), arg('items', '24000'), arg('days', '120'));
  const families = arg('families', 'mcm,bert4rec,sasrec,shopperbert').split(',');
  const presetDataset = arg('preset-dataset', '');
  const trainS = Number(arg('train-s', '60'));
  const valid = Number(arg('valid', '1000'));
  const out = resolve(root, arg('out', 'docs/results/memory.md'));
  const capMb = Number(arg('cap-mb', '12000'));
  const code = codeVersion();
  const load0 = loadavg();
  const rows: Row[] = [];
  for (const family of families) {
    process.stderr.write(`${family}: training ${trainS} s, then validation of ${valid} customers\n`);
    const r = await runChild([__filename, '--child', family, prepared, presetDataset, String(trainS), String(valid)], capMb);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const why = r.capped
      ? `stopped above the ${capMb} MB cap (--cap-mb) after ${r.seconds.toFixed(0)} s`
      : r.signal === 'SIGKILL' || r.status === 137
        ? 'killed (out of memory: see the kernel log)'
        : r.stderr.split('\n').find((l) => /Error|cfm:|bench:memory:/.test(l));
    const row: Row = line ? JSON.parse(line.slice(7)) : ({ family, error: (why ?? `exit ${r.status}`).slice(0, 200) } as Row);
    rows.push(row);
    process.stderr.write(`  ${JSON.stringify(row)}\n`);
  }
  const command = `npm run bench:memory -- ${argv.join(' ')}`.trim();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, page(rows, { code, prepared, command, load0, load1: loadavg(), trainS, valid }));
  writeFileSync(out.replace(/\.md$/, '.json'), JSON.stringify({ command, code, prepared, rows }, null, 1) + '\n');
  process.stderr.write(`wrote ${out}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench:memory: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
