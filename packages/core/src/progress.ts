import { runtimeOptions } from './runtime';

/** Progress of one long step. Every long step takes an optional reporter. */
export interface ProgressEvent {
  step: string;
  done: number;
  total?: number;
  /** free-form numbers shown beside the bar: loss, metric, seq/s ... */
  info?: Record<string, number | string>;
}

export interface ProgressReporter {
  start(step: string, total?: number): void;
  update(event: ProgressEvent): void;
  finish(step: string, info?: Record<string, number | string>): void;
  log(line: string): void;
}

export const silentProgress: ProgressReporter = {
  start() {},
  update() {},
  finish() {},
  log() {},
};

/** Estimated seconds left from elapsed time and fraction done. */
export function etaSeconds(elapsedMs: number, done: number, total: number): number {
  if (done <= 0 || total <= 0) return Number.NaN;
  return ((elapsedMs / done) * (total - done)) / 1000;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A progress event's numbers as `k=v` pairs (numbers to 4 significant digits). */
export function formatInfo(info?: Record<string, number | string>): string {
  return info
    ? Object.entries(info)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toPrecision(4) : v}`)
        .join(' ')
    : '';
}

/** Plain line reporter (for logs, workers and CI): a step's start and end, and between them at most one line every
 * `everyMs` (default: CFM_PROGRESS_SECONDS, 10 s). */
export function lineProgress(
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  everyMs: number = runtimeOptions().CFM_PROGRESS_SECONDS * 1000,
): ProgressReporter {
  const started = new Map<string, number>();
  const last = new Map<string, number>();
  return {
    start(step, total) {
      started.set(step, Date.now());
      last.set(step, Date.now());
      write(`[${step}] start${total !== undefined ? ` (${total})` : ''}`);
    },
    update({ step, done, total, info }) {
      const now = Date.now();
      if (now - (last.get(step) ?? 0) < everyMs) return;
      last.set(step, now);
      const t0 = started.get(step) ?? now;
      const pct = total ? ` ${((100 * done) / total).toFixed(1)}%` : '';
      const eta = total ? ` eta ${formatDuration(etaSeconds(now - t0, done, total))}` : '';
      write(`[${step}] ${done}${total ? '/' + total : ''}${pct}${eta} ${formatInfo(info)}`.trimEnd());
    },
    finish(step, info) {
      const t0 = started.get(step) ?? Date.now();
      write(`[${step}] done in ${formatDuration((Date.now() - t0) / 1000)} ${formatInfo(info)}`.trimEnd());
    },
    log: write,
  };
}
