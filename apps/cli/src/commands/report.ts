import type { Command } from 'commander';
import { CfmError } from '@cfm/core';
import { buildReport, screenshotPage } from '@cfm/report';
import { cliProgress } from '../progress';
import { intOption } from '../options';

/** cfm report <dir> [--label gender] [--out report.html] [--screenshot shot.png]: a run (summary.json) or one model folder */
export function registerReport(program: Command): void {
  program
    .command('report <dir>')
    .description(
      'static self-contained HTML report of a run or a model folder: training, metrics per protocol, benchmarks, compute, UMAP, gate, config, verified artifact',
    )
    .option('--out <file>', 'HTML file (default <dir>/report.html)')
    .option('--label <name>', 'customer label to colour the UMAP map by (from the prepared users table)')
    .option('--umap-points <n>', 'customers on each UMAP map', intOption('--umap-points', 10, 100_000))
    .option('--screenshot <png>', 'also render the page in headless Chromium to this PNG')
    .action(async (dir: string, o: { out?: string; label?: string; umapPoints?: number; screenshot?: string }) => {
      const r = await buildReport(dir, { out: o.out, label: o.label, umapPoints: o.umapPoints, progress: cliProgress() });
      if (o.screenshot) screenshotPage(r.path, o.screenshot);
      const empty = r.sections.filter((s) => !s.filled).map((s) => `${s.model ? `${s.model}/` : ''}${s.id}`);
      process.stdout.write(`report → ${r.path}${o.screenshot ? `, screenshot → ${o.screenshot}` : ''}\n`);
      if (empty.length) process.stdout.write(`sections without data: ${empty.join(', ')}\n`);
      if (!r.verified)
        throw new CfmError('CFM_E_ARTIFACT', `artifact verification failed: ${r.problems.join('; ')} (the report shows it)`, {
          file: r.path,
        });
    });
}
