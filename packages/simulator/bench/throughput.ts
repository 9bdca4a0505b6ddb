// Throughput of writeSimulation: tsx packages/simulator/bench/throughput.ts <events> [lean|full] [outDir]
// lean = events + items + users only; full = also impressions, queries, incentives.
import { lineProgress } from '@cfm/core';
import { writeSimulation } from '../src';

const events = Number(process.argv[2] ?? 1_000_000);
const lean = (process.argv[3] ?? 'lean') === 'lean';
const outDir = process.argv[4] ?? '/tmp/cfm-sim-bench';
const r = writeSimulation(
  { targetEvents: events, items: 50_000, customers: 1, outputs: { impressions: !lean, queries: !lean, incentives: !lean } },
  outDir,
  lineProgress(),
);
const bytes = Object.values(r.manifest.files).reduce((s, f) => s + f.bytes, 0);
const rows = Object.fromEntries(Object.entries(r.manifest.files).map(([k, f]) => [k, f.rows]));
process.stdout.write(
  `${lean ? 'lean' : 'full'} events=${events} wall=${(r.elapsedMs / 1000).toFixed(2)}s ` +
    `events/s=${Math.round((events / r.elapsedMs) * 1000)} MB=${(bytes / 1e6).toFixed(0)} rows=${JSON.stringify(rows)}\n`,
);
