#!/usr/bin/env tsx
// cfm-worker --queue cpu|gpu [--address 127.0.0.1:7233] [--namespace default] [--concurrency N] [--bundle path]
// Runs until SIGINT / SIGTERM, then shuts down gracefully (running activities get the grace time).
import { Command } from 'commander';
import { realSteps } from '@cfm/pipeline';
import { createWorker } from './worker';
import { initBackend } from '@cfm/tensor';

const program = new Command('cfm-worker')
  .requiredOption('--queue <kind>', 'cpu or gpu')
  .option('--address <host:port>', 'Temporal frontend', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
  .option('--namespace <ns>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
  .option('--concurrency <n>', 'activities at once', (v) => parseInt(v, 10))
  .option('--bundle <file>', 'prebuilt workflow bundle (production)');

async function main(): Promise<void> {
  const o = program.parse(process.argv).opts<{ queue: string; address: string; namespace: string; concurrency?: number; bundle?: string }>();
  if (o.queue !== 'cpu' && o.queue !== 'gpu') throw new Error(`--queue must be cpu or gpu, got "${o.queue}"`);
  const backend = await initBackend();
  process.stderr.write(`cfm-worker: tensor backend ${backend.name}\n`);
  const { worker, connection } = await createWorker({
    queue: o.queue, address: o.address, namespace: o.namespace, steps: realSteps(),
    maxConcurrentActivities: o.concurrency, workflowBundlePath: o.bundle,
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
  process.stderr.write(`cfm-worker: ${o.queue} queue on ${o.address} (pid ${process.pid}) ready\n`);
  await worker.run();
  await connection.close();
  process.stderr.write('cfm-worker: stopped\n');
}

main().catch((e) => {
  process.stderr.write(`cfm-worker: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
