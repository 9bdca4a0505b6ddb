/** Prints a tf.profile result: kernels by name (calls, total ms, share), and with `each` the largest single kernels
 * with their shapes. Shared by train-profile.ts and mcm-profile.ts. */
import type * as tf from '@tensorflow/tfjs';

export function printProfile(info: Awaited<ReturnType<typeof tf.profile>>, top: number, each: boolean, backend: string): void {
  const by = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
  process.stdout.write(`backend ${backend}: ${info.kernels.length} kernels, ${total.toFixed(0)} ms kernel time\n`);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, top))
    process.stdout.write(
      `${name.padEnd(22)} ${String(e.calls).padStart(4)} calls ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)} %\n`,
    );
  if (!each) return;
  process.stdout.write('largest single kernels (name, ms, input shapes → output shapes):\n');
  const timed = [...info.kernels]
    .filter((k) => typeof k.kernelTimeMs === 'number')
    .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number));
  for (const k of timed.slice(0, top))
    process.stdout.write(
      `${k.name.padEnd(22)} ${(k.kernelTimeMs as number).toFixed(2).padStart(8)} ms ${JSON.stringify(k.inputShapes)} → ${JSON.stringify(k.outputShapes)}\n`,
    );
}
