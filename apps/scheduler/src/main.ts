#!/usr/bin/env tsx
// cfm-scheduler: start runs, manage the periodic-retraining Schedule, start backfills, show progress.
import { Command } from 'commander';
import { isCfmError } from '@cfm/core';
import { failureLine } from './errors';
import { loadRunConfig } from '@cfm/pipeline';
import { resolve } from 'node:path';
import { connect, createRetrainSchedule, runProgress, startBackfill, startBenchmark, startRetrain, updateRetrainSchedule } from './client';

const program = new Command('cfm-scheduler').option('--address <host:port>', 'Temporal frontend', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233');
const client = () => connect(program.opts<{ address: string }>().address);
const print = (x: unknown): void => void process.stdout.write((typeof x === 'string' ? x : JSON.stringify(x, null, 2)) + '\n');

program.command('start').requiredOption('--config <file>').option('--wait', 'wait for the result').action(async (o) => {
  const h = await startRetrain(await client(), loadRunConfig(o.config));
  print(`started ${h.workflowId}`);
  if (o.wait) print(await h.result());
});
program.command('benchmark').description("a trained model folder's offline benchmarks: the run config's evaluate protocols and benchmarks: tasks")
  .requiredOption('--run <modelDir>', 'model folder (run.json, model/)').requiredOption('--config <file>', 'run.yaml whose evaluate / benchmarks to run')
  .option('--work-dir <dir>', 'where the step cache and ledger go (default: the config\'s workDir)').option('--wait', 'wait for the result')
  .action(async (o) => {
    const spec = loadRunConfig(o.config);
    const h = await startBenchmark(await client(), { workDir: o.workDir ? resolve(o.workDir) : spec.workDir, runDir: resolve(o.run), tasks: spec.benchmarks, evaluate: spec.evaluate });
    print(`started ${h.workflowId}`);
    if (o.wait) print(await h.result());
  });
program.command('list').description('recent workflows (newest first) with their status').option('--limit <n>', 'how many', '20')
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
sched.command('create').requiredOption('--id <scheduleId>').requiredOption('--config <file>').option('--every <duration>', 'e.g. 1d, 12h', '1d').option('--cron <expr>')
  .action(async (o) => { await createRetrainSchedule(await client(), loadRunConfig(o.config), { scheduleId: o.id, every: o.every, cron: o.cron }); print(`schedule ${o.id} created`); });
sched.command('update').requiredOption('--id <scheduleId>').requiredOption('--config <file>').option('--every <duration>')
  .action(async (o) => { await updateRetrainSchedule(await client(), o.id, loadRunConfig(o.config), o.every); print(`schedule ${o.id} updated`); });
for (const verb of ['pause', 'unpause', 'trigger', 'delete'] as const) {
  sched.command(verb).requiredOption('--id <scheduleId>').action(async (o) => {
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
  for await (const x of (await client()).schedule.list()) rows.push(`${x.scheduleId}\t${x.state.paused ? 'paused' : 'active'}\t${x.action?.type === 'startWorkflow' ? x.action.workflowType : ''}`);
  print(rows.length ? rows.join('\n') : 'no schedules');
});
sched.command('describe').requiredOption('--id <scheduleId>').action(async (o) => {
  const d = await (await client()).schedule.getHandle(o.id).describe();
  print({ paused: d.state.paused, note: d.state.note, actions: d.info.numActionsTaken, recent: d.info.recentActions.map((a) => a.action.workflow.workflowId) });
});
program.command('backfill').requiredOption('--prepared <dir>').requiredOption('--artifact <dir>').requiredOption('--family <name>')
  .requiredOption('--work-dir <dir>').requiredOption('--from <date>').requiredOption('--to <date>')
  .option('--every-days <n>', '', '1').option('--top-k <n>', '', '10').option('--concurrency <n>', '', '2').option('--per-run <n>', 'continue-as-new after n partitions', '50')
  .action(async (o) => {
    const h = await startBackfill(await client(), {
      workDir: o.workDir, preparedDir: o.prepared, artifactDir: o.artifact, family: o.family, from: o.from, to: o.to,
      everyDays: +o.everyDays, topK: +o.topK, concurrency: +o.concurrency, partitionsPerRun: +o.perRun,
    });
    print(`started ${h.workflowId}`);
  });

program.parseAsync(process.argv).then(() => process.exit(0), (e: unknown) => {
  const f = isCfmError(e) ? { line: e.message, code: 2 } : failureLine(e);
  process.stderr.write(`cfm-scheduler: ${f.line}\n`);
  if (process.env.CFM_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(f.code);
});
