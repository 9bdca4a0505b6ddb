import { describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { healthPort, probe, startHealthServer } from './health';
import type { WorkerPhase } from './health';

describe('worker probes', () => {
  it('liveness stays 200 through start-up and draining; readiness is 200 only while the worker runs', () => {
    const phases: WorkerPhase[] = ['starting', 'INITIALIZED', 'RUNNING', 'STOPPING', 'DRAINING', 'DRAINED', 'STOPPED', 'FAILED'];
    const live = phases.map((p) => probe('/healthz', p).status);
    const ready = phases.map((p) => probe('/readyz', p).status);
    expect(live).toEqual([200, 200, 200, 200, 200, 200, 200, 503]);
    expect(ready).toEqual([503, 503, 200, 503, 503, 503, 503, 503]);
    expect(probe('/metrics', 'RUNNING').status).toBe(404);
  });

  it('serves the phase of the worker over HTTP as it changes', async () => {
    let phase: WorkerPhase = 'starting';
    const server = await startHealthServer(0, () => phase, '127.0.0.1');
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return `${r.status} ${(await r.text()).trim()}`;
    };
    try {
      expect(await get('/readyz')).toBe('503 not ready: starting');
      expect(await get('/healthz')).toBe('200 ok starting');
      phase = 'RUNNING';
      expect(await get('/readyz?verbose=1')).toBe('200 ready');
      phase = 'STOPPING';
      expect(await get('/readyz')).toBe('503 not ready: STOPPING');
      expect(await get('/healthz')).toBe('200 ok STOPPING');
      expect((await fetch(`http://127.0.0.1:${server.port}/readyz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('takes the port from the flag, then CFM_HEALTH_PORT, and refuses a bad one naming where it came from', () => {
    expect(healthPort(undefined, {})).toBeUndefined();
    expect(healthPort(undefined, { CFM_HEALTH_PORT: '8080' })).toBe(8080);
    expect(healthPort('9090', { CFM_HEALTH_PORT: '8080' })).toBe(9090);
    for (const [flag, env, field] of [
      ['http', {}, '--health-port'],
      [undefined, { CFM_HEALTH_PORT: '70000' }, 'CFM_HEALTH_PORT'],
    ] as const) {
      try {
        healthPort(flag, env);
        expect.unreachable();
      } catch (e) {
        expect(isCfmError(e) && e.location.field).toBe(field);
      }
    }
  });
});
