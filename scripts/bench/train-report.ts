/** bench:train result types, summary and the printed table. */
import { BENCH_CONFIG } from './train-config';

export interface StepResult {
  ms: number;
  cpuMs: number;
  seqs: number;
  tokens: number;
  masked: number;
  flops: number;
  loss: number;
}
export interface ChildResult {
  backend: string;
  gpu: boolean;
  reason: string;
  data: string;
  itemCount: number;
  batchSize: number;
  batchesPerEpoch: number;
  warmupMs: number[];
  steps: StepResult[];
  peakRssMb: number;
  tfjsTensors: number;
}
export interface BlasResult {
  n: number;
  threads: number;
  gflops: number;
  median_gflops: number;
  gflop_per_cpu_s: number;
  repeats: number;
  blas: string;
}

export const BENCH_SUMMARY = {
  numpy: '2.2.6',
  describe: (data: string) =>
    `BERT4Rec Cloze training step (@cfm/model-bert4rec loss, @cfm/tensor trainStep with AdamW): hidden ${BENCH_CONFIG.dModel}, ` +
    `${BENCH_CONFIG.nLayers} layers, ${BENCH_CONFIG.nHeads} heads, max length ${BENCH_CONFIG.maxLen}, batch ${BENCH_CONFIG.batchSize}, ` +
    `mask ${BENCH_CONFIG.maskProb}, Beauty items (${data} batches), seed ${BENCH_CONFIG.seed}`,
};

export interface BackendSummary {
  backend: string;
  ok: boolean;
  error?: string;
  gpu?: boolean;
  batchSize?: number;
  steps?: number;
  medianMs?: number;
  seqPerSec?: number;
  gflopPerStep?: number;
  gflops?: number;
  shareOfPeak?: number;
  cpuMsPerStep?: number;
  gflopPerCpuS?: number;
  cpuShareOf1Thread?: number;
  peakRssMb?: number;
  firstLoss?: number;
  warmupMs?: number;
  /** the timed steps' ms, in batch order (so backends can be compared on the same batches) */
  stepMs?: number[];
}
export interface Summary {
  backends: BackendSummary[];
  blas: BlasResult[];
  blasPeak?: BlasResult;
  blas1?: BlasResult;
  nativeOverWasm?: number;
  wasmOverCpu?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const best = (xs: BlasResult[]) => xs.reduce<BlasResult | undefined>((a, b) => (!a || b.gflops > a.gflops ? b : a), undefined);

export function summarize(results: Array<ChildResult | { backend: string; error: string }>, blas: BlasResult[]): Summary {
  const maxThreads = Math.max(0, ...blas.map((b) => b.threads));
  const blasPeak = best(blas.filter((b) => b.threads === maxThreads));
  const blas1 = best(blas.filter((b) => b.threads === 1));
  const backends: BackendSummary[] = results.map((r) => {
    if ('error' in r) return { backend: r.backend, ok: false, error: r.error };
    const ms = r.steps.reduce((a, s) => a + s.ms, 0);
    const flops = r.steps.reduce((a, s) => a + s.flops, 0);
    const gflops = flops / ms / 1e6;
    const cpuMs = r.steps.reduce((a, s) => a + s.cpuMs, 0);
    const gflopPerCpuS = flops / cpuMs / 1e6;
    return {
      backend: r.backend,
      ok: true,
      gpu: r.gpu,
      batchSize: r.batchSize,
      steps: r.steps.length,
      medianMs: median(r.steps.map((s) => s.ms)),
      seqPerSec: r.steps.reduce((a, s) => a + s.seqs, 0) / (ms / 1000),
      gflopPerStep: flops / r.steps.length / 1e9,
      gflops,
      shareOfPeak: blasPeak ? gflops / blasPeak.gflops : undefined,
      cpuMsPerStep: cpuMs / r.steps.length,
      gflopPerCpuS,
      cpuShareOf1Thread: blas1 ? gflopPerCpuS / blas1.gflop_per_cpu_s : undefined,
      peakRssMb: r.peakRssMb,
      firstLoss: r.steps[0]?.loss,
      warmupMs: r.warmupMs[0],
      stepMs: r.steps.map((s) => s.ms),
    };
  });
  const get = (n: string) => backends.find((b) => b.backend === n && b.ok);
  const tfb = get('tensorflow'),
    wasm = get('wasm'),
    cpu = get('cpu');
  const nativeOverWasm = tfb && wasm ? tfb.seqPerSec! / wasm.seqPerSec! : undefined;
  // cpu runs a smaller batch, so this is per sequence, not per step
  const wasmOverCpu = cpu && wasm ? wasm.seqPerSec! / cpu.seqPerSec! : undefined;
  return { backends, blas, blasPeak, blas1, nativeOverWasm, wasmOverCpu };
}

const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function table(s: Summary, ctx: { data: string; load: number[]; cores: number }): string {
  const rows = [
    [
      'backend',
      'timed steps',
      'ms/step (median)',
      'seq/s',
      'GFLOP/step',
      'GFLOP/s',
      '% of sgemm peak',
      'CPU ms/step',
      'GFLOP/CPU-s',
      '% of 1-thread sgemm',
      'peak RSS MB',
      'loss step 1',
    ],
  ];
  for (const b of s.backends) {
    if (!b.ok) {
      rows.push([b.backend, `did not load: ${b.error}`]);
      continue;
    }
    const name = b.backend + (b.gpu ? ' (gpu)' : '') + (b.batchSize !== BENCH_CONFIG.batchSize ? ` * batch ${b.batchSize}` : '');
    rows.push([
      name,
      String(b.steps),
      f(b.medianMs, 0),
      f(b.seqPerSec, 1),
      f(b.gflopPerStep, 2),
      f(b.gflops, 2),
      f(b.shareOfPeak !== undefined ? 100 * b.shareOfPeak : undefined, 1),
      f(b.cpuMsPerStep, 0),
      f(b.gflopPerCpuS, 2),
      f(b.cpuShareOf1Thread !== undefined ? 100 * b.cpuShareOf1Thread : undefined, 1),
      f(b.peakRssMb, 0),
      f(b.firstLoss, 4),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.filter((r) => r.length > 2).map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r.length === 2 ? `| ${r[0].padEnd(widths[0])} | ${r[1]}` : '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |',
  );
  lines.splice(1, 0, '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  const out = [``, ...lines, ``];
  if (s.backends.some((b) => b.ok && b.batchSize !== BENCH_CONFIG.batchSize))
    out.push(
      `* smaller batch, first step(s) only, no warm-up (a full step of the pure-JS backend takes many minutes) — not the benchmark config`,
    );
  out.push(
    `native / wasm (seq/s): ${s.nativeOverWasm ? s.nativeOverWasm.toFixed(1) + '×' : '— (native TensorFlow did not load)'}` +
      (s.wasmOverCpu ? `; wasm / cpu (seq/s, cpu on its smaller batch): ${s.wasmOverCpu.toFixed(1)}×` : ''),
  );
  if (s.blasPeak)
    out.push(
      `sgemm peak (${s.blasPeak.blas}): ${f(s.blasPeak.gflops)} GFLOP/s on ${s.blasPeak.threads} threads (${s.blasPeak.n}³, best of ${s.blasPeak.repeats})` +
        (s.blas1
          ? `, ${f(s.blas1.gflops)} on 1 thread (${s.blas1.n}³); per CPU-second: ${f(s.blas1.gflop_per_cpu_s)} GFLOP (1 thread)`
          : ''),
    );
  else out.push('sgemm peak: not measured (numpy unavailable or --no-blas)');
  out.push(`GFLOP/step: matmul FLOPs counted analytically from each batch's shape (scripts/bench/train-flops.ts), forward × 3`);
  out.push(
    `wall-clock columns show what this run got; CPU-time columns (all threads' CPU seconds) are robust to other work on the machine`,
  );
  out.push(
    `machine: ${ctx.cores} cores; 1-min load average ${ctx.load.map((l) => l.toFixed(1)).join(' → ')} (other work on the machine lowers every number)`,
  );
  return out.join('\n');
}
