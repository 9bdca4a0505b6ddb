/**
 * Sharded data-prep benchmark (docs/data.md, "Sharded prep"): a simulated events CSV (+ 50k-item catalogue, as
 * bench:data makes it; generation not timed) prepared by the five steps of the sharded prep, every step in its own
 * child process, so that each shard's peak RSS (maxRSS) is its own: splitSources, shardStats per shard, mergeStats,
 * prepareShard per shard, mergeShards. Shards run `--concurrency` at a time (default 2, the cores here).
 * Prints wall time per step, the whole wall time, events/s (accepted events / wall) and peak RSS per step and per
 * shard (the larger of its two steps). `--compare` also runs prepareFromSources on the same file (a child too) and
 * compares the two folders with compare-prepared.ts.
 * Usage: npm run bench:data-sharded -- [--events 100000000] [--shards 8] [--concurrency 2] [--threads N]
 *          [--dir DIR (default $TMPDIR/cfm-bench-sharded)] [--compare] [--keep] [--drop-inputs]
 * `--drop-inputs` removes each shard's split input once its stats are written (less disk at once).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulation } from '@cfm/simulator';
import {
  mergeShards,
  mergeStats,
  prepareFromSources,
  prepareShard,
  shardStats,
  splitSources,
  type GlobalStats,
  type ShardOutput,
  type ShardStats,
  type SplitResult,
} from '@cfm/data';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}
const flag = (name: string) => process.argv.includes(name);

/** Generate (once, cached by size) the lean simulation bench:data uses: events.csv + items.csv + users.csv. */
function ensureSimulation(dir: string, events: number): string {
  const sim = join(dir, `sim-${events}`);
  if (existsSync(join(sim, 'manifest.json'))) return sim;
  const t0 = Date.now();
  writeSimulation(
    {
      seed: 7,
      targetEvents: events,
      customers: Math.max(1000, Math.round(events / 50)),
      items: 50_000,
      outputs: { impressions: false, queries: false, incentives: false, itemText: false, sha256: false },
    },
    sim,
  );
  process.stderr.write(
    `simulated ${events.toLocaleString('en')} events into ${sim} in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)\n`,
  );
  return sim;
}

/** What a child reports: its step's result, wall time, CPU time and peak RSS. */
interface StepReport<T = unknown> {
  result: T;
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
}

type StepArgs = Record<string, unknown>;

/** Child: run one step and print its report as the last line. */
async function child(step: string, argsFile: string): Promise<void> {
  const a = JSON.parse(readFileSync(argsFile, 'utf8')) as StepArgs;
  const threads = a.threads as number | undefined;
  const t0 = process.hrtime.bigint();
  let result: unknown;
  if (step === 'split')
    result = await splitSources({
      sources: a.sources as never,
      n: a.n as number,
      out: a.out as string,
      config: a.config as never,
      threads,
    });
  else if (step === 'stats') {
    result = await shardStats(a.shardDir as string, a.split as SplitResult, { threads });
    if (a.dropInputs)
      for (const f of (a.split as SplitResult).files) rmSync(join(a.shardDir as string, `f${f.fileId}`), { recursive: true, force: true });
  } else if (step === 'merge-stats') result = await mergeStats(a.stats as ShardStats[], a.split as SplitResult, { threads });
  else if (step === 'prepare') result = await prepareShard(a.shardDir as string, a.global as GlobalStats);
  else if (step === 'merge')
    result = await mergeShards({
      dataset: a.dataset as string,
      global: a.global as GlobalStats,
      shards: a.shards as ShardOutput[],
      out: a.out as string,
      timingsMs: a.timingsMs as Record<string, number>,
    });
  else if (step === 'single')
    result = await prepareFromSources({
      dataset: a.dataset as string,
      sources: a.sources as never,
      out: a.out as string,
      config: a.config as never,
    });
  else throw new Error(`unknown step ${step}`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage();
  const report: StepReport = {
    result,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

/** Run one step in a child process. */
function runStep<T>(dir: string, step: string, args: StepArgs, label = step): Promise<StepReport<T>> {
  const file = join(dir, `args-${label.replace(/\s+/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(args));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, __filename, '--step', step, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${label}: exit ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as StepReport<T>;
      process.stdout.write(
        `  ${label}: ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s cpu, peak RSS ${Math.round(r.maxRssMb)} MB\n`,
      );
      resolve(r);
    });
  });
}

async function pool<A, B>(items: A[], n: number, fn: (a: A, i: number) => Promise<B>): Promise<B[]> {
  const out = new Array<B>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const events = Number(arg('--events') ?? 100_000_000);
  const n = Number(arg('--shards') ?? 8);
  const conc = Number(arg('--concurrency') ?? 2);
  const threads = arg('--threads') ? Number(arg('--threads')) : undefined;
  const dir = arg('--dir') ?? join(tmpdir(), 'cfm-bench-sharded');
  mkdirSync(dir, { recursive: true });
  const sim = ensureSimulation(dir, events);
  const sources = { events: [join(sim, 'events.csv')], items: join(sim, 'items.csv') };
  const config = { split: 'temporal' as const };
  const work = join(dir, `work-${events}`),
    out = join(dir, `sharded-${events}`),
    args = join(dir, `args-${events}`);
  for (const d of [work, out, args]) rmSync(d, { recursive: true, force: true });
  mkdirSync(args, { recursive: true });
  const load0 = loadavg();
  process.stdout.write(
    `sharded prep of ${events.toLocaleString('en')} events, ${n} shards, ${conc} at a time, DuckDB threads ${threads ?? 'default'}; load average ${load0.map((x) => x.toFixed(2)).join(' / ')}\n`,
  );
  const t0 = Date.now();
  // (wall ms of each phase, for the manifest's timingsMs)
  const timingsMs: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await fn();
    timingsMs[name] = Date.now() - t;
    return r;
  };
  const split = await phase('split', () => runStep<SplitResult>(args, 'split', { sources, n, out: work, config, threads }));
  const stats = await phase('shard stats', () =>
    pool(split.result.shards, conc, (shardDir, k) =>
      runStep<ShardStats>(args, 'stats', { shardDir, split: split.result, threads, dropInputs: flag('--drop-inputs') }, `shard ${k} stats`),
    ),
  );
  const global = await phase('merge stats', () =>
    runStep<GlobalStats>(args, 'merge-stats', { stats: stats.map((s) => s.result), split: split.result, threads }),
  );
  const prepared = await phase('shard sequences', () =>
    pool(split.result.shards, conc, (shardDir, k) =>
      runStep<ShardOutput>(args, 'prepare', { shardDir, global: global.result }, `shard ${k} sequences`),
    ),
  );
  const merged = await runStep<{
    counts: { accepted: number; events: number; users: number; items: number; quarantined: number };
    dataHash: string;
  }>(args, 'merge', { dataset: `sim-${events}`, global: global.result, shards: prepared.map((p) => p.result), out, timingsMs });
  const seconds = (Date.now() - t0) / 1000;
  const load1 = loadavg();
  const m = merged.result;
  const steps = { split, 'merge stats': global, merge: merged };
  process.stdout.write(
    `\n${events.toLocaleString('en')} events, ${n} shards: ${seconds.toFixed(1)} s wall, ${Math.round(m.counts.accepted / seconds).toLocaleString('en')} events/s (accepted ${m.counts.accepted.toLocaleString('en')}, events after de-duplication ${m.counts.events.toLocaleString('en')}, customers ${m.counts.users.toLocaleString('en')}, items ${m.counts.items.toLocaleString('en')}, dataHash ${m.dataHash})\n`,
  );
  for (const [k] of split.result.shards.entries())
    process.stdout.write(
      `  shard ${k}: ${stats[k].result.events.toLocaleString('en')} events, peak RSS ${Math.round(Math.max(stats[k].maxRssMb, prepared[k].maxRssMb))} MB (stats ${Math.round(stats[k].maxRssMb)}, sequences ${Math.round(prepared[k].maxRssMb)})\n`,
    );
  for (const [name, r] of Object.entries(steps)) process.stdout.write(`  ${name}: peak RSS ${Math.round(r.maxRssMb)} MB\n`);
  process.stdout.write(`  load average ${load0.map((x) => x.toFixed(2)).join(' / ')} → ${load1.map((x) => x.toFixed(2)).join(' / ')}\n`);
  process.stdout.write(
    `${JSON.stringify({ events, shards: n, concurrency: conc, seconds, eventsPerSec: m.counts.accepted / seconds, shardRssMb: split.result.shards.map((_, k) => Math.round(Math.max(stats[k].maxRssMb, prepared[k].maxRssMb))), splitRssMb: Math.round(split.maxRssMb), mergeStatsRssMb: Math.round(global.maxRssMb), mergeRssMb: Math.round(merged.maxRssMb), load0, load1 })}\n`,
  );
  if (flag('--compare')) {
    const single = join(dir, `single-${events}`);
    rmSync(single, { recursive: true, force: true });
    const s = await runStep<{ reader: string }>(
      args,
      'single',
      { dataset: `sim-${events}`, sources, out: single, config },
      'single prepareFromSources',
    );
    process.stdout.write(`  (single: reader ${s.result.reader})\n`);
    const cmp = spawn(process.execPath, [...process.execArgv, join(__dirname, 'compare-prepared.ts'), single, out], { stdio: 'inherit' });
    const code = await new Promise<number | null>((r) => cmp.on('exit', r));
    if (code !== 0) process.exitCode = 1;
    if (!flag('--keep')) rmSync(single, { recursive: true, force: true });
  }
  rmSync(args, { recursive: true, force: true });
  if (!flag('--keep')) for (const d of [work, out]) rmSync(d, { recursive: true, force: true });
}

if (arg('--step')) void child(arg('--step')!, process.argv[process.argv.indexOf('--step') + 2]);
else void main();
