import { afterEach, describe, expect, it, vi } from 'vitest';
import { lineProgress } from './progress';
import { resetRuntimeOptions } from './runtime';

describe('lineProgress', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    resetRuntimeOptions();
  });

  it('writes a step start and end, and between them one line per interval, not one per update', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l), 5000);
    p.start('train', 1000);
    for (let i = 1; i <= 400; i++) p.update({ step: 'train', done: i, total: 1000 });
    expect(lines).toEqual(['[train] start (1000)']);
    vi.advanceTimersByTime(5000);
    for (let i = 401; i <= 800; i++) p.update({ step: 'train', done: i, total: 1000, info: { loss: 1.234567 } });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\[train\] 401\/1000 40\.1% eta \d\d:\d\d loss=1\.235$/);
    p.finish('train');
    expect(lines[2]).toMatch(/^\[train\] done in /);
  });

  it('takes its default interval from CFM_PROGRESS_SECONDS', () => {
    vi.useFakeTimers();
    vi.stubEnv('CFM_PROGRESS_SECONDS', '2');
    resetRuntimeOptions();
    const lines: string[] = [];
    const p = lineProgress((l) => lines.push(l));
    p.start('s', 10);
    vi.advanceTimersByTime(1999);
    p.update({ step: 's', done: 1, total: 10 });
    vi.advanceTimersByTime(1);
    p.update({ step: 's', done: 2, total: 10 });
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^\[s\] 2\/10 /)]);
  });
});
