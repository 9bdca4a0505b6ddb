import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { adapters, resolveDataDir } from '@cfm/datasets';

export function registerDatasets(program: Command): void {
  const cmd = program.command('datasets').description('public datasets known to `cfm prepare`');
  cmd
    .command('list')
    .description('list dataset names, their folder, default split and whether the folder is present')
    .option('--data-dir <dir>', 'datasets folder (default: $CFM_DATA_DIR or ../shared/datasets)')
    .action((opts: { dataDir?: string }) => {
      let dir: string | undefined;
      try {
        dir = resolveDataDir(opts.dataDir);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
      }
      const rows = adapters.map((a) => [
        a.name,
        a.folder,
        a.defaultSplit,
        dir && existsSync(join(dir, a.folder)) ? 'yes' : 'no',
        a.description,
      ]);
      rows.unshift(['name', 'folder', 'split', 'present', 'description']);
      const w = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) process.stdout.write(r.map((x, c) => (c < 4 ? x.padEnd(w[c]) : x)).join('  ') + '\n');
      process.stdout.write(`\ndata dir: ${dir ?? '(missing)'}; also: --dataset path:<dir> for a folder of contract files\n`);
    });
}
