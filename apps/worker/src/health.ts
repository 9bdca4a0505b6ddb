// The worker's probe endpoint for Kubernetes: a tiny HTTP server, started before anything slow so the
// kubelet gets an answer during start-up too.
//   GET /healthz  liveness: 200 while the process works (starting, running, draining), 503 once the worker failed
//   GET /readyz   readiness: 200 while the worker polls its task queue, 503 before that and once shutdown began
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CfmError } from '@cfm/core';

/** 'starting' until the Temporal Worker exists, then its getState(): RUNNING, STOPPING, DRAINING, DRAINED, STOPPED, FAILED. */
export type WorkerPhase = 'starting' | 'INITIALIZED' | 'RUNNING' | 'STOPPING' | 'DRAINING' | 'DRAINED' | 'STOPPED' | 'FAILED';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export function probe(path: string, phase: WorkerPhase): { status: number; body: string } {
  if (path === '/healthz') return phase === 'FAILED' ? { status: 503, body: 'failed\n' } : { status: 200, body: `ok ${phase}\n` };
  if (path === '/readyz') return phase === 'RUNNING' ? { status: 200, body: 'ready\n' } : { status: 503, body: `not ready: ${phase}\n` };
  return { status: 404, body: 'not found (/healthz, /readyz)\n' };
}

/** Port from --health-port or CFM_HEALTH_PORT; undefined (no server) when neither is set. */
export function healthPort(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const [raw, field] = flag !== undefined ? [flag, '--health-port'] : [env.CFM_HEALTH_PORT, 'CFM_HEALTH_PORT'];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new CfmError('CFM_E_CONFIG', `expected a TCP port (0-65535), got "${raw}"`, { field });
  return port;
}

export function startHealthServer(port: number, phase: () => WorkerPhase, host = '0.0.0.0'): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const r =
      req.method === 'GET' || req.method === 'HEAD' ? probe((req.url ?? '/').split('?')[0], phase()) : { status: 405, body: 'GET only\n' };
    res.writeHead(r.status, { 'content-type': 'text/plain', connection: 'close' });
    res.end(req.method === 'HEAD' ? undefined : r.body);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
