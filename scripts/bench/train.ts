/** npm run bench:train — one run of the BERT4Rec benchmark step on every TF.js backend that loads, one child
 * process per backend (same config, seed and batches), then this machine's sgemm peak through numpy's OpenBLAS,
 * and the step's achieved GFLOP/s as a share of it. Writes out/bench-train.json.
 *   npm run bench:train -- [--steps 6] [--warmup 1] [--wasm-steps 2] [--wasm-warmup 0] [--cpu-steps 1] [--cpu-batch 16] [--cpu-budget-s 300] [--data dense|real]
 *                          [--backends tensorflow,wasm,cpu] [--no-blas] [--no-eval]
 * Also measures full-ranking evaluation throughput (customers/s over the 12 k Beauty items) on the fastest backend. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { runtimeOptions } from '@cfm/core';
import { join, resolve } from 'node:path';
import { BENCH_CONFIG } from './train-config';
import { BENCH_SUMMARY, type BlasResult, type ChildResult, summarize, table } from './train-report';

const root = resolve(__dirname, '../..');
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);

interface ChildRun {
  steps: number;
  warmup: number;
  budgetS: number;
  batchSize: number;
  data: string;
}
function runChild(backend: string, r: ChildRun): Promise<ChildResult | { backend: string; error: string }> {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const args = [
    join(__dirname, 'train-child.ts'),
    '--backend',
    backend,
    '--steps',
    String(r.steps),
    '--warmup',
    String(r.warmup),
    '--data',
    r.data,
    '--budget-s',
    String(r.budgetS),
    '--batch-size',
    String(r.batchSize),
  ];
  return new Promise((done) => {
    const p = spawn(tsx, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CFM_BACKEND: backend } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => {
      err += d;
      // progress lines of the child (step i/n, ms, loss, eta) go straight through
      for (const line of String(d).split('\n')) if (/^\[\w+\] step|^backend: /.test(line)) process.stderr.write(`  ${line}\n`);
    });
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) done(JSON.parse(line.slice(7)) as ChildResult);
      else
        done({
          backend,
          error: (
            err
              .trim()
              .split('\n')
              .filter((l) => /Error|error/.test(l))[0] ?? `exit ${code}`
          ).slice(0, 240),
        });
    });
  });
}

interface EvalRow {
  backend: string;
  customers: number;
  items: number;
  batchSize: number;
  seconds: number;
  customersPerSec: number;
  cpuSeconds: number;
}
/** scripts/bench/train-eval.ts in a child process on `backend` */
function runEval(backend: string): EvalRow | undefined {
  process.stderr.write(`- full-ranking evaluation throughput (${backend})\n`);
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [join(__dirname, 'train-eval.ts')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CFM_BACKEND: backend },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) process.stderr.write(`  evaluation bench failed: ${(r.stderr ?? '').trim().split('\n').slice(-1)[0]}\n`);
  return line ? (JSON.parse(line.slice(7)) as EvalRow) : undefined;
}

/** numpy (with its bundled OpenBLAS) in a venv under ~/.cache/cfm, created once from the Python package index */
function blasPython(): string | undefined {
  const venv = join(runtimeOptions().CFM_CACHE_DIR, 'bench-venv');
  const py = join(venv, 'bin', 'python');
  const ok = () => existsSync(py) && spawnSync(py, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  if (ok()) return py;
  process.stderr.write(`bench: creating ${venv} with numpy ${BENCH_SUMMARY.numpy} (once)\n`);
  spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  spawnSync(py, ['-m', 'pip', 'install', '-q', `numpy==${BENCH_SUMMARY.numpy}`], { stdio: 'inherit' });
  return ok() ? py : undefined;
}

function measureBlas(): BlasResult[] {
  const py = blasPython();
  if (!py) return [];
  const out: BlasResult[] = [];
  for (const threads of [1, cpus().length]) {
    process.stderr.write(`  [blas] sgemm 1024³ and 2048³ on ${threads} thread(s)\n`);
    const r = spawnSync(py, [join(__dirname, 'train-blas.py'), '1024', '2048'], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
      encoding: 'utf8',
    });
    for (const l of (r.stdout ?? '').split('\n')) if (l.startsWith('{')) out.push(JSON.parse(l) as BlasResult);
  }
  return out;
}

async function main(): Promise<void> {
  const backends = arg('backends', 'tensorflow,wasm,cpu').split(',');
  const steps = Number(arg('steps', '6'));
  const warmup = Number(arg('warmup', '1'));
  const data = arg('data', 'dense');
  const started = new Date();
  const load0 = loadavg()[0];
  process.stderr.write(`bench:train — ${BENCH_SUMMARY.describe(data)}\n`);
  const results: Array<ChildResult | { backend: string; error: string }> = [];
  for (const b of backends) {
    process.stderr.write(`- ${b}\n`);
    // pure JS is ~1000× below native: one step of a smaller batch, no warm-up, reported as such;
    // wasm gets fewer steps than native (a full step takes it tens of seconds)
    const run: ChildRun =
      b === 'cpu'
        ? {
            steps: Number(arg('cpu-steps', '1')),
            warmup: 0,
            budgetS: Number(arg('cpu-budget-s', '300')),
            batchSize: Number(arg('cpu-batch', '16')),
            data,
          }
        : b === 'wasm'
          ? {
              steps: Number(arg('wasm-steps', '2')),
              warmup: Number(arg('wasm-warmup', '0')),
              budgetS: 0,
              batchSize: BENCH_CONFIG.batchSize,
              data,
            }
          : { steps, warmup, budgetS: 0, batchSize: BENCH_CONFIG.batchSize, data };
    results.push(await runChild(b, run));
  }
  const blas = argv.includes('--no-blas') ? [] : measureBlas();
  // full-ranking evaluation throughput, on the fastest backend that loaded
  const evalBackend = ['tensorflow', 'wasm'].find((b) => results.some((r) => r.backend === b && !('error' in r)));
  const evalRow = evalBackend && !argv.includes('--no-eval') ? runEval(evalBackend) : undefined;
  const load1 = loadavg()[0];
  const summary = summarize(results, blas);
  process.stdout.write(table(summary, { data, load: [load0, load1], cores: cpus().length }) + '\n');
  if (evalRow)
    process.stdout.write(
      `full-ranking evaluation (${evalRow.backend}, fresh weights, batch ${evalRow.batchSize}): ${evalRow.customersPerSec} customers/s over ${evalRow.items} items ` +
        `(${evalRow.customers} Beauty customers in ${evalRow.seconds} s, ${evalRow.cpuSeconds} CPU-s)\n`,
    );
  mkdirSync(join(root, 'out'), { recursive: true });
  writeFileSync(
    join(root, 'out', 'bench-train.json'),
    JSON.stringify({ started, argv, loadavg: [load0, load1], ...summary, eval: evalRow }, null, 2),
  );
  process.stderr.write(`wrote out/bench-train.json\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
