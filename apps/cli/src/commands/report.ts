import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildReport, screenshotPage, type ReportOptions } from '@cfm/report';
import { Registry } from '@cfm/export';
import { cliProgress } from './embed';

/** cfm report <run dir> [--registry file] [--label gender] [--out report.html] [--screenshot shot.png] */
export function registerReport(program: Command): void {
  program
    .command('report <run>')
    .description('static self-contained HTML report of a run: curves, metrics vs champion and published, compute, UMAP, gates')
    .option('--out <file>', 'HTML file (default <run>/report.html)')
    .option('--label <name>', 'customer label to colour the UMAP map by (from labels.json or the prepared users)')
    .option('--registry <file>', 'registry .duckdb: compare with the champion of the run\'s family and use case')
    .option('--use-case <name>', 'use case in the registry', 'next_item')
    .option('--umap-points <n>', 'customers on the UMAP map', Number, 2000)
    .option('--screenshot <png>', 'also render the page in headless Chromium to this PNG')
    .action(async (run: string, o: { out?: string; label?: string; registry?: string; useCase: string; umapPoints: number; screenshot?: string }) => {
      const opts: ReportOptions = { out: o.out, label: o.label, umapPoints: o.umapPoints, progress: cliProgress('report'), labels: preparedLabels(run) };
      if (o.registry) Object.assign(opts, await championFromRegistry(o.registry, run, o.useCase));
      const { path } = await buildReport(run, opts);
      if (o.screenshot) screenshotPage(path, o.screenshot);
      process.stdout.write(`report → ${path}${o.screenshot ? `, screenshot → ${o.screenshot}` : ''}\n`);
    });
}

/** users.json of the prepared data a `cfm train` run points at (run.json preparedDir), if any. */
function preparedLabels(run: string): ReportOptions['labels'] {
  const runFile = join(run, 'run.json');
  if (!existsSync(runFile)) return undefined;
  const prepared = (JSON.parse(readFileSync(runFile, 'utf8')) as { preparedDir?: string }).preparedDir;
  const users = prepared && join(prepared, 'users.json');
  return users && existsSync(users) ? JSON.parse(readFileSync(users, 'utf8')) : undefined;
}

async function championFromRegistry(file: string, run: string, useCase: string): Promise<Pick<ReportOptions, 'champion' | 'championNote'>> {
  const info = existsSync(join(run, 'run.json')) ? (JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as { runId?: string; family?: string; model?: string }) : {};
  const family = info.family ?? info.model;
  if (!family) return {};
  const reg = await Registry.open(file);
  try {
    const champ = await reg.champion(family, useCase);
    if (!champ) return {};
    if (champ.runId === info.runId) return { championNote: `this run is the current champion of ${family}/${useCase} (${file})` };
    const metrics = (await reg.metrics(champ.runId)).filter((m) => m.split === 'test');
    if (!metrics.length) return {};
    return { champion: { label: champ.runId, protocol: metrics[0].protocol, metrics: Object.fromEntries(metrics.map((m) => [m.name, m.value])) } };
  } finally {
    reg.close();
  }
}
