import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCfmError } from '@cfm/core';
import { exitWhenIdle, idleSeconds } from './idle';

afterEach(() => {
  vi.useRealTimers();
});

function fakeWorker() {
  const w = { runState: 'RUNNING', numInFlightActivities: 0, shutdowns: 0 };
  return {
    w,
    worker: {
      getStatus: () => w,
      shutdown: () => {
        w.shutdowns++;
        w.runState = 'STOPPING';
      },
    },
  };
}

describe('exit when idle', () => {
  it('shuts down once no activity has been in flight for the idle time, counted from the last busy moment', () => {
    vi.useFakeTimers();
    const { w, worker } = fakeWorker();
    exitWhenIdle(worker, 10_000, 1000);
    vi.advanceTimersByTime(5_000);
    w.numInFlightActivities = 1; // a training starts and runs for a minute
    vi.advanceTimersByTime(60_000);
    expect(w.shutdowns).toBe(0);
    w.numInFlightActivities = 0;
    vi.advanceTimersByTime(9_000);
    expect(w.shutdowns).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(w.shutdowns).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(w.shutdowns).toBe(1);
  });

  it('does not count time before the worker runs, and can be stopped', () => {
    vi.useFakeTimers();
    const { w, worker } = fakeWorker();
    w.runState = 'INITIALIZED';
    const stop = exitWhenIdle(worker, 3_000, 1000);
    vi.advanceTimersByTime(10_000);
    expect(w.shutdowns).toBe(0);
    stop();
    w.runState = 'RUNNING';
    vi.advanceTimersByTime(10_000);
    expect(w.shutdowns).toBe(0);
  });

  it('reads the seconds from the flag, then CFM_EXIT_WHEN_IDLE, and names a bad value', () => {
    expect(idleSeconds(undefined, {})).toBeUndefined();
    expect(idleSeconds(undefined, { CFM_EXIT_WHEN_IDLE: '300' })).toBe(300);
    expect(idleSeconds('60', { CFM_EXIT_WHEN_IDLE: '300' })).toBe(60);
    try {
      idleSeconds(undefined, { CFM_EXIT_WHEN_IDLE: '0' });
      expect.unreachable();
    } catch (e) {
      expect(isCfmError(e) && e.location.field).toBe('CFM_EXIT_WHEN_IDLE');
    }
  });
});
