import type { Command } from 'commander';
import { lineProgress } from '@cfm/core';
import { familyNames, parseOverrides, trainRun } from '@cfm/models';
import { initBackend } from '@cfm/tensor';

/** cfm train --model bert4rec --dataset s3rec-beauty --out runs/b4r-beauty [--epochs --seed --config k=v ...] (re-run to resume) */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model family on a dataset; re-running the same command resumes from the last checkpoint')
    .requiredOption('--model <name>', `model family (${familyNames().join(', ')})`)
    .requiredOption('--dataset <name|dir>', 'dataset adapter name, path:<dir>, or a prepared directory')
    .requiredOption('--out <dir>', 'run directory (checkpoints, model artifact, reports)')
    .option('--epochs <n>', 'training epochs', Number)
    .option('--seed <n>', 'seed', Number)
    .option('--checkpoint-every <steps>', 'checkpoint every N steps', Number, 200)
    .option('--config <key=value...>', 'config overrides, e.g. lr=0.001 maxLen=50')
    .action(async (o: { model: string; dataset: string; out: string; epochs?: number; seed?: number; checkpointEvery: number; config?: string[] }) => {
      await initBackend();
      const progress = lineProgress((l) => process.stderr.write(l + '\n'), 10_000);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      const { report } = await trainRun({ ...o, config: parseOverrides(o.config), progress, signal: ac.signal });
      const last = report.history[report.history.length - 1];
      process.stdout.write(
        `trained ${o.model}: ${report.steps} steps, ${report.epochs} epochs this run${report.resumedFromStep ? ` (resumed at step ${report.resumedFromStep})` : ''}, ` +
          `last loss ${last?.loss.toFixed(4) ?? 'n/a'}, best valid ndcg@10 ${report.bestMetric?.toFixed(4) ?? 'n/a'} → ${o.out}/model\n`,
      );
    });
}
