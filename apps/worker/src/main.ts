#!/usr/bin/env node
// cfm-worker --queue cpu|gpu [--address 127.0.0.1:7233] [--namespace default] [--concurrency N] [--bundle path]
//            [--health-port N] [--exit-when-idle S] [--tls-cert f --tls-key f] [--tls-ca f] [--tls-server-name n] [--tls true|false] [--api-key k]
// Runs until SIGINT / SIGTERM, then shuts down gracefully (running activities get the grace time).
// TLS / API key also from TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS,
// TEMPORAL_API_KEY; the probe port from CFM_HEALTH_PORT (GET /healthz, /readyz: health.ts); the bundle from CFM_WORKFLOW_BUNDLE;
// CFM_EXIT_WHEN_IDLE: exit 0 after that many seconds with no activity in flight (idle.ts).
import { Command } from 'commander';
import { realSteps } from '@cfm/pipeline';
import type { Worker } from '@temporalio/worker';
import { connectionSecurity } from '@cfm/scheduler';
import type { SecurityFlags } from '@cfm/scheduler';
import { createWorker } from './worker';
import { healthPort, startHealthServer } from './health';
import { exitWhenIdle, idleSeconds } from './idle';
import { initBackend } from '@cfm/tensor';

const program = new Command('cfm-worker')
  .requiredOption('--queue <kind>', 'cpu or gpu')
  .option('--address <host:port>', 'Temporal frontend', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
  .option('--namespace <ns>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
  .option('--concurrency <n>', 'activities at once', (v) => parseInt(v, 10))
  .option('--bundle <file>', 'prebuilt workflow bundle (production; env CFM_WORKFLOW_BUNDLE)', process.env.CFM_WORKFLOW_BUNDLE || undefined)
  .option('--health-port <n>', 'serve GET /healthz and /readyz on this port (env CFM_HEALTH_PORT)')
  .option('--exit-when-idle <s>', 'stop after this many seconds with no activity in flight (env CFM_EXIT_WHEN_IDLE)')
  .option('--tls-cert <file>', 'client certificate for mTLS (env TEMPORAL_TLS_CERT)')
  .option('--tls-key <file>', 'its private key (env TEMPORAL_TLS_KEY)')
  .option('--tls-ca <file>', "the server's CA certificate (env TEMPORAL_TLS_CA)")
  .option('--tls-server-name <name>', 'server name to verify (env TEMPORAL_TLS_SERVER_NAME)')
  .option('--tls <bool>', 'true: TLS with the system roots; false: plain text (env TEMPORAL_TLS)')
  .option('--api-key <key>', 'API key (env TEMPORAL_API_KEY, preferred)');

async function main(): Promise<void> {
  const o = program.parse(process.argv).opts<
    SecurityFlags & {
      queue: string;
      address: string;
      namespace: string;
      concurrency?: number;
      bundle?: string;
      healthPort?: string;
      exitWhenIdle?: string;
    }
  >();
  if (o.queue !== 'cpu' && o.queue !== 'gpu') throw new Error(`--queue must be cpu or gpu, got "${o.queue}"`);
  const security = connectionSecurity(o);
  // the probe endpoint answers from the start (liveness 200, readiness 503) so a slow start is not killed
  const running: { worker?: Worker } = {};
  let stopping = false;
  const port = healthPort(o.healthPort);
  const idle = idleSeconds(o.exitWhenIdle);
  const health =
    port === undefined
      ? undefined
      : await startHealthServer(port, () =>
          stopping && running.worker?.getState() === 'RUNNING' ? 'STOPPING' : (running.worker?.getState() ?? 'starting'),
        );
  if (health) process.stderr.write(`cfm-worker: probes on :${health.port} (/healthz, /readyz)\n`);
  const backend = await initBackend();
  process.stderr.write(`cfm-worker: tensor backend ${backend.name}\n`);
  const created = await createWorker({
    queue: o.queue,
    address: o.address,
    namespace: o.namespace,
    steps: realSteps(),
    maxConcurrentActivities: o.concurrency,
    workflowBundlePath: o.bundle,
    ...security,
  });
  const w = created.worker;
  running.worker = w;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      stopping = true;
      w.shutdown();
    });
  const workflows =
    o.queue === 'gpu' ? 'no workflows' : o.bundle ? `workflows from the prebuilt bundle ${o.bundle}` : 'workflows bundled from source';
  process.stderr.write(
    `cfm-worker: ${o.queue} queue on ${o.address}${security.tls ? ' (TLS)' : ''}, ${workflows} (pid ${process.pid}) ready\n`,
  );
  if (idle !== undefined) exitWhenIdle(w, idle * 1000);
  await w.run();
  await created.connection.close();
  await health?.close();
  process.stderr.write('cfm-worker: stopped\n');
}

main().catch((e) => {
  process.stderr.write(`cfm-worker: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
