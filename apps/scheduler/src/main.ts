#!/usr/bin/env node
// cfm-scheduler: start runs, manage the periodic-retraining Schedule, start backfills, show progress.
import { Command } from 'commander';
import { CfmError } from '@cfm/core';
import { isCfmError } from '@cfm/core';
import type { SecurityFlags, Timeouts } from './client';
import { failureLine } from './errors';
import { loadRunConfig } from '@cfm/pipeline';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, createRetrainSchedule, runProgress, startBackfill, startBenchmark, startRetrain, updateRetrainSchedule } from './client';

const program = new Command('cfm-scheduler')
  .option('--address <host:port>', 'Temporal frontend', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
  .option('--namespace <ns>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
  .option('--tls-cert <file>', 'client certificate for mTLS (env TEMPORAL_TLS_CERT)')
  .option('--tls-key <file>', 'its private key (env TEMPORAL_TLS_KEY)')
  .option('--tls-ca <file>', "the server's CA certificate (env TEMPORAL_TLS_CA)")
  .option('--tls-server-name <name>', 'server name to verify (env TEMPORAL_TLS_SERVER_NAME)')
  .option('--tls <bool>', 'true: TLS with the system roots; false: plain text (env TEMPORAL_TLS)')
  .option('--api-key <key>', 'API key (env TEMPORAL_API_KEY, preferred)');
const client = () => {
  const o = program.opts<SecurityFlags & { address: string; namespace: string }>();
  return connect(o.address, o.namespace, o);
};
/** Temporal duration options shared by the commands that start workflows (e.g. 30s, 5m, 12h) */
const TIMEOUTS = [
  ['--heartbeat-timeout <d>', 'a training silent this long is retried elsewhere (default 2m)', 'heartbeatTimeout'],
  ['--train-timeout <d>', 'one training attempt at most (default 12h)', 'trainTimeout'],
  ['--cpu-timeout <d>', 'one cpu activity at most (default 1h)', 'cpuTimeout'],
  ['--cpu-heartbeat-timeout <d>', 'a cpu activity silent this long is retried elsewhere (default 5m)', 'cpuHeartbeatTimeout'],
] as const;
function withTimeouts(c: Command): Command {
  for (const [flag, help] of TIMEOUTS) c.option(flag, help, duration(flag));
  return c;
}
function duration(flag: string) {
  return (raw: string) => {
    if (!/^\d+(ms|s|m|h|d)$/.test(raw))
      throw new CfmError('CFM_E_CONFIG', `expected a duration like 30s, 5m, 12h, got "${raw}"`, { field: flag });
    return raw;
  };
}
const timeoutsOf = (o: Record<string, unknown>): Timeouts =>
  Object.fromEntries(TIMEOUTS.filter(([, , k]) => o[k]).map(([, , k]) => [k, o[k]]));
const print = (x: unknown): void => void process.stdout.write((typeof x === 'string' ? x : JSON.stringify(x, null, 2)) + '\n');

withTimeouts(program.command('start').requiredOption('--config <file>').option('--wait', 'wait for the result')).action(async (o) => {
  const h = await startRetrain(await client(), loadRunConfig(o.config), { timeouts: timeoutsOf(o) });
  print(`started ${h.workflowId}`);
  if (o.wait) print(await h.result());
});
program
  .command('benchmark')
  .description("a trained model folder's offline benchmarks: the run config's evaluate protocols and benchmarks: tasks")
  .requiredOption('--run <modelDir>', 'model folder (run.json, model/)')
  .requiredOption('--config <file>', 'run.yaml whose evaluate / benchmarks to run')
  .option('--work-dir <dir>', "where the step cache and ledger go (default: the config's workDir)")
  .option('--wait', 'wait for the result')
  .action(async (o) => {
    const spec = loadRunConfig(o.config);
    const h = await startBenchmark(await client(), {
      workDir: o.workDir ? resolve(o.workDir) : spec.workDir,
      runDir: resolve(o.run),
      tasks: spec.benchmarks,
      evaluate: spec.evaluate,
    });
    print(`started ${h.workflowId}`);
    if (o.wait) print(await h.result());
  });
program
  .command('list')
  .description('recent workflows (newest first) with their status')
  .option('--limit <n>', 'how many', '20')
  .action(async (o) => {
    const c = await client();
    const rows: string[] = [];
    for await (const w of c.workflow.list()) {
      rows.push(`${w.workflowId}\t${w.type}\t${w.status.name}\t${w.startTime.toISOString()}`);
      if (rows.length >= Number(o.limit)) break;
    }
    print(rows.length ? rows.join('\n') : 'no workflows');
  });
program.command('status <workflowId>').action(async (id) => print(await runProgress(await client(), id)));
const sched = program.command('schedule').description('periodic retraining (overlap policy: skip)');
sched
  .command('create')
  .requiredOption('--id <scheduleId>')
  .requiredOption('--config <file>')
  .option('--every <duration>', 'e.g. 1d, 12h', '1d')
  .option('--cron <expr>')
  .action(async (o) => {
    await createRetrainSchedule(await client(), loadRunConfig(o.config), { scheduleId: o.id, every: o.every, cron: o.cron });
    print(`schedule ${o.id} created`);
  });
sched
  .command('update')
  .requiredOption('--id <scheduleId>')
  .requiredOption('--config <file>')
  .option('--every <duration>')
  .action(async (o) => {
    await updateRetrainSchedule(await client(), o.id, loadRunConfig(o.config), o.every);
    print(`schedule ${o.id} updated`);
  });
for (const verb of ['pause', 'unpause', 'trigger', 'delete'] as const) {
  sched
    .command(verb)
    .requiredOption('--id <scheduleId>')
    .action(async (o) => {
      const h = (await client()).schedule.getHandle(o.id);
      if (verb === 'pause') await h.pause('cfm-scheduler');
      else if (verb === 'unpause') await h.unpause('cfm-scheduler');
      else if (verb === 'trigger') await h.trigger();
      else await h.delete();
      print(`schedule ${o.id}: ${verb}`);
    });
}
sched.command('list').action(async () => {
  const rows: string[] = [];
  for await (const x of (await client()).schedule.list())
    rows.push(
      `${x.scheduleId}\t${x.state.paused ? 'paused' : 'active'}\t${x.action?.type === 'startWorkflow' ? x.action.workflowType : ''}`,
    );
  print(rows.length ? rows.join('\n') : 'no schedules');
});
sched
  .command('describe')
  .requiredOption('--id <scheduleId>')
  .action(async (o) => {
    const d = await (await client()).schedule.getHandle(o.id).describe();
    print({
      paused: d.state.paused,
      note: d.state.note,
      actions: d.info.numActionsTaken,
      recent: d.info.recentActions.map((a) => a.action.workflow.workflowId),
    });
  });
const int = (flag: string, min: number) => (raw: string) => {
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new CfmError('CFM_E_CONFIG', `expected an integer >= ${min}, got "${raw}"`, { field: flag });
  return Number(raw);
};
const day = (flag: string) => (raw: string) => {
  const t = Date.parse(`${raw}T00:00:00Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== raw)
    throw new CfmError('CFM_E_CONFIG', `expected a calendar date YYYY-MM-DD, got "${raw}"`, { field: flag });
  return raw;
};
withTimeouts(program.command('backfill').description('point-in-time exports of one model for every date partition (each exactly once)'))
  .requiredOption('--prepared <dir>', 'prepared data folder')
  .requiredOption('--artifact <dir>', 'model folder (or its model/ artifact)')
  .requiredOption('--family <name>', 'registry name of the family')
  .requiredOption('--work-dir <dir>')
  .requiredOption('--from <date>', 'first partition', day('--from'))
  .requiredOption('--to <date>', 'last partition', day('--to'))
  .option('--every-days <n>', 'days between partitions', int('--every-days', 1), 1)
  .option('--top-k <n>', 'top-k per customer and task', int('--top-k', 1), 10)
  .option('--concurrency <n>', 'partitions at once', int('--concurrency', 1), 2)
  .option('--per-run <n>', 'continue-as-new after n partitions', int('--per-run', 1), 50)
  .option('--shards <n>', 'customer shards per date (each a partition of its own)', int('--shards', 1), 1)
  .action(async (o) => {
    const artifactDir = existsSync(join(o.artifact, 'run.json')) ? join(resolve(o.artifact), 'model') : resolve(o.artifact);
    const h = await startBackfill(
      await client(),
      {
        workDir: resolve(o.workDir),
        preparedDir: resolve(o.prepared),
        artifactDir,
        family: o.family,
        from: o.from,
        to: o.to,
        everyDays: o.everyDays,
        topK: o.topK,
        concurrency: o.concurrency,
        partitionsPerRun: o.perRun,
        shards: o.shards,
      },
      { timeouts: timeoutsOf(o) },
    );
    print(`started ${h.workflowId}`);
  });

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (e: unknown) => {
    const f = isCfmError(e) ? { line: e.message, code: 2 } : failureLine(e);
    process.stderr.write(`cfm-scheduler: ${f.line}\n`);
    if (process.env.CFM_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(f.code);
  },
);
