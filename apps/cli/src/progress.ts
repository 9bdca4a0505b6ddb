import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { formatInfo, lineProgress, type ProgressReporter } from '@cfm/core';

/** The commands' progress: a bar per step with ETA on a terminal; otherwise (logs, CI, pipes) throttled lines,
 * one every CFM_PROGRESS_SECONDS (docs/runtime.md). */
export function cliProgress(): ProgressReporter {
  if (!process.stderr.isTTY) return lineProgress();
  const multi = new MultiBar(
    {
      format: '{step} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted} {info}',
      clearOnComplete: false,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  process.once('exit', () => multi.stop());
  const bars = new Map<string, SingleBar>();
  return {
    start: (step, total) => bars.set(step, multi.create(total ?? 1, 0, { step: step.padEnd(14), info: '' })),
    update: ({ step, done, total, info }) => {
      const bar = bars.get(step);
      if (total !== undefined) bar?.setTotal(total);
      bar?.update(done, { info: formatInfo(info) });
    },
    finish: (step, info) => {
      const bar = bars.get(step);
      bar?.update(bar.getTotal(), { info: formatInfo(info) });
      bar?.stop();
    },
    log: (line) => multi.log(line + '\n'),
  };
}
