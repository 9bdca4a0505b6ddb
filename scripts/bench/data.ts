/**
 * Data-prep benchmark: simulated 1M and 10M events, contract CSV → validated (DuckDB) → sequences (Arrow shards).
 * Usage: npm run bench:data [-- --sizes 1000000,10000000 --keep --floor --no-peer]
 * Each size runs in its own child process so that peak RSS (maxRSS) belongs to that size alone. The targets are
 * checked on the default reader (the native scan of a plain CSV when its addon is built; docs/data.md).
 * Each size also runs with the DuckDB ingest alone (CFM_NATIVE_SCAN=0), right after, in the same way, and the line
 * gives the ratio of the two (--no-peer: not).
 * --floor: after the prepare, the same child times DuckDB's bare work on the same file, with nothing of the
 * pipeline around it (floor.ts): a parse, a read of every column, a copy to Parquet. The prepare / copy ratio is the
 * cost of everything the pipeline adds to DuckDB's own read and write of the events.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulation } from '@cfm/simulator';
import { prepareFromSources } from '@cfm/data';
import { duckdbFloor, type FloorTimes } from './floor';

const BENCH_DIR = process.env.CFM_BENCH_DIR ?? join(tmpdir(), 'cfm-bench-data');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Generate (once, cached by size) a lean simulation: events.csv + items.csv + users.csv. */
function ensureSimulation(events: number): string {
  const dir = join(BENCH_DIR, `sim-${events}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const t0 = Date.now();
  writeSimulation(
    {
      seed: 7,
      targetEvents: events,
      customers: Math.max(1000, Math.round(events / 50)),
      items: 50_000,
      outputs: { impressions: false, queries: false, incentives: false, itemText: false, sha256: false },
    },
    dir,
  );
  process.stderr.write(`simulated ${events} events into ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s (not timed)\n`);
  return dir;
}

/** Child: one timed prepare run; prints one JSON line. */
async function child(events: number): Promise<void> {
  const sim = join(BENCH_DIR, `sim-${events}`);
  const out = join(BENCH_DIR, `out-${events}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const m = await prepareFromSources({
    dataset: `sim-${events}`,
    sources: { events: [join(sim, 'events.csv')], items: join(sim, 'items.csv') },
    out,
    config: { split: 'temporal' },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({
      events,
      seconds,
      eventsPerSec: m.counts.accepted / seconds,
      maxRssMb,
      reader: m.reader,
      counts: m.counts,
      timingsMs: m.timingsMs,
      cpuMs: m.cpuMs,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      loadavg: loadavg(),
    }) + '\n',
  );
  if (!process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
  if (process.argv.includes('--floor'))
    process.stdout.write(JSON.stringify({ floor: await duckdbFloor(join(sim, 'events.csv'), BENCH_DIR) }) + '\n');
}

function main(): void {
  if (arg('--child')) {
    void child(Number(arg('--child')));
    return;
  }
  const sizes = (arg('--sizes') ?? '1000000,10000000').split(',').map(Number);
  mkdirSync(BENCH_DIR, { recursive: true });
  const results: Array<{ events: number; seconds: number; eventsPerSec: number; maxRssMb: number; timingsMs?: Record<string, number> }> =
    [];
  for (const n of sizes) {
    ensureSimulation(n);
    const flags = ['--keep', '--floor'].filter((f) => process.argv.includes(f));
    const lines = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', String(n), ...flags], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    })
      .trim()
      .split('\n');
    const floor = lines.at(-1)!.startsWith('{"floor"') ? (JSON.parse(lines.pop()!).floor as FloorTimes) : undefined;
    const r = JSON.parse(lines.pop()!);
    results.push(r);
    process.stdout.write(
      `${n.toLocaleString('en')} events: ${r.seconds.toFixed(2)} s, ${Math.round(r.eventsPerSec).toLocaleString('en')} events/s, peak RSS ${Math.round(r.maxRssMb)} MB (reader: ${r.reader})\n`,
    );
    if (!process.argv.includes('--no-peer') && r.reader === 'native-scan') {
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', String(n)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 24,
        env: { ...process.env, CFM_NATIVE_SCAN: '0' },
      });
      const p = JSON.parse(out.trim().split('\n').pop()!);
      process.stdout.write(
        `  peer, the DuckDB ingest alone: ${p.seconds.toFixed(2)} s, ${Math.round(p.eventsPerSec).toLocaleString('en')} events/s, peak RSS ${Math.round(p.maxRssMb)} MB → ${(p.seconds / r.seconds).toFixed(2)}× the time\n`,
      );
    }
    process.stdout.write(
      `  wall ms per stage ${JSON.stringify(r.timingsMs)}\n  cpu ms per stage ${JSON.stringify(r.cpuMs)}\n  load average at end ${r.loadavg.map((x: number) => x.toFixed(1)).join(' ')}\n`,
    );
    if (floor)
      for (const [name, t] of Object.entries(floor))
        process.stdout.write(
          `  duckdb alone, ${name}: ${(t.wallMs / 1000).toFixed(2)} s wall, ${(t.cpuMs / 1000).toFixed(2)} s cpu (prepare ${(r.seconds / (t.wallMs / 1000)).toFixed(2)}× its wall)\n`,
        );
  }
  if (results.length >= 2) {
    const [a, b] = [results[0], results[results.length - 1]];
    process.stdout.write(
      `cost growth ${a.events.toLocaleString('en')} → ${b.events.toLocaleString('en')}: ${(b.seconds / a.seconds).toFixed(2)}× time for ${(b.events / a.events).toFixed(0)}× events\n`,
    );
  }
  const ok = results.map(
    (r) =>
      `${r.events}: ${r.eventsPerSec >= 1e6 ? 'meets' : 'misses'} 1M events/s${r.events >= 1e7 ? `, ${r.maxRssMb <= 2048 ? 'meets' : 'misses'} 2 GB RSS` : ''}`,
  );
  process.stdout.write(`targets: ${ok.join('; ')}\n`);
}

main();
