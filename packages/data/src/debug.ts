import { runtimeOptions } from '@cfm/core';

/** CFM_DEBUG_TIMING=1: stage timings and a timeline of marks on stderr (ms since the first mark, process CPU ms). */
const debugTiming = () => runtimeOptions().CFM_DEBUG_TIMING;
let t0 = 0;
let c0: NodeJS.CpuUsage | undefined;

export function mark(name: string): void {
  if (!debugTiming()) return;
  if (!c0) {
    t0 = performance.now();
    c0 = process.cpuUsage();
  }
  const c = process.cpuUsage(c0);
  process.stderr.write(
    `@${(performance.now() - t0).toFixed(0).padStart(5)} cpu ${String(Math.round((c.user + c.system) / 1000)).padStart(5)}  ${name}\n`,
  );
}

export async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!debugTiming()) return fn();
  const t = Date.now(),
    c = process.cpuUsage();
  const r = await fn();
  const d = process.cpuUsage(c);
  process.stderr.write(`${name}: wall ${Date.now() - t} ms, cpu ${Math.round((d.user + d.system) / 1000)} ms\n`);
  return r;
}
