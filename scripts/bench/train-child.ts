/** One backend of bench:train, in its own process (a backend cannot be unloaded, and peak RSS must be its own).
 *   tsx scripts/bench/train-child.ts --backend wasm --steps 6 --warmup 1 [--budget-s 120] [--data dense|real]
 * Runs @cfm/model-bert4rec's Cloze loss through @cfm/tensor's trainStep (AdamW, clipping) on the same
 * seeded batches on every backend and prints one JSON line prefixed "RESULT ". */
import * as tf from '@tensorflow/tfjs';
import { Ctx, AdamW, initBackend, trainStep, type BackendName } from '@cfm/tensor';
import { Bert4RecConfig, Bert4RecModel, ClozeSampler, type ClozeBatch } from '@cfm/model-bert4rec';
import { formatDuration } from '@cfm/core';
import { loadBeauty } from './train-data';
import { stepFlops } from './train-flops';
import { BENCH_CONFIG } from './train-config';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm') as BackendName;
  const steps = Number(arg('steps', '6'));
  const warmup = Number(arg('warmup', '1'));
  const budgetMs = Number(arg('budget-s', '0')) * 1000;
  const mode = arg('data', 'dense') as 'dense' | 'real';
  const info = await initBackend({ prefer: backend });
  const { seqs, itemCount } = loadBeauty(mode, BENCH_CONFIG.maxLen);
  // --batch-size: the pure-JS cpu backend gets a smaller batch (reported as such); one full step takes it many minutes
  const batchSize = Number(arg('batch-size', String(BENCH_CONFIG.batchSize)));
  const config = Bert4RecConfig.parse({ ...BENCH_CONFIG, batchSize, warmupSteps: 0, schedule: 'constant' });
  const model = new Bert4RecModel(config, itemCount, 'bench');
  const sampler = new ClozeSampler(seqs, config);
  const opt = new AdamW(model.params.trainable(), {
    lr: config.lr,
    weightDecay: config.weightDecay,
    clipNorm: config.clipNorm,
    totalSteps: warmup + steps,
    schedule: 'constant',
  });
  const task = { loss: (b: ClozeBatch, ctx: Ctx) => model.loss(b, ctx) };
  const shape = { dModel: config.dModel, nLayers: config.nLayers, dFf: 4 * config.dModel, vocab: itemCount };
  const timed: Array<{ ms: number; cpuMs: number; seqs: number; tokens: number; masked: number; flops: number; loss: number }> = [];
  const warm: number[] = [];
  const t0 = Date.now();
  for (let s = 0; s < warmup + steps; s++) {
    const batch = sampler.batch(0, s % sampler.batchesPerEpoch);
    const start = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    // the step reads the loss back (dataSync), so the timing covers all of its kernels
    const loss = trainStep(task as never, opt, batch, new Ctx(true, config.seed * 1_000_003 + s));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    // CPU time of all the process's threads: robust to other work on the machine, unlike wall time
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (s < warmup) warm.push(ms);
    else {
      const sh = { batch: batch.batchSize, len: batch.maxLen, masked: batch.positions.length };
      timed.push({ ms, cpuMs, seqs: batch.batchSize, tokens: sh.batch * sh.len, masked: sh.masked, flops: stepFlops(sh, shape), loss });
    }
    const left = warmup + steps - s - 1;
    const eta = (left * (timed.length ? timed.reduce((a, t) => a + t.ms, 0) / timed.length : ms)) / 1000;
    process.stderr.write(
      `[${backend}] step ${s + 1}/${warmup + steps}${s < warmup ? ' (warm-up)' : ''} ${ms.toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms) loss ${loss.toFixed(4)}` +
        ` tensors ${tf.memory().numTensors} eta ${formatDuration(budgetMs ? Math.min(eta, (budgetMs - (Date.now() - t0)) / 1000) : eta)}\n`,
    );
    if (budgetMs && s >= warmup && Date.now() - t0 > budgetMs) break;
  }
  const result = {
    backend: info.name,
    gpu: info.gpu,
    reason: info.reason,
    data: mode,
    itemCount,
    batchSize,
    batchesPerEpoch: sampler.batchesPerEpoch,
    warmupMs: warm,
    steps: timed,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    tfjsTensors: tf.memory().numTensors,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  model.dispose();
  opt.dispose();
}

main().then(
  () => process.exit(0), // the wasm backend may keep worker handles alive
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
