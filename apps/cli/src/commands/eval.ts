import type { Command } from 'commander';
import { CfmError, lineProgress } from '@cfm/core';
import { evalRun } from '@cfm/models';
import { initBackend } from '@cfm/tensor';

const PROTOCOLS = ['full', 'sampled-uniform', 'sampled-pop'] as const;

/** cfm eval --run runs/b4r-beauty --protocol sampled-uniform --seeds 1,2,3 */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained run under one protocol; prints a results table that states the protocol')
    .requiredOption('--run <dir>', 'run directory written by cfm train')
    .option('--protocol <p>', PROTOCOLS.join(' | '), 'full')
    .option('--seeds <list>', 'negative-sampling seeds, comma-separated (sampled protocols)', '0')
    .option('--split <s>', 'valid | test', 'test')
    .option('--negatives <n>', 'negatives per target (sampled protocols)', Number, 100)
    .option('--keep-history', 'full ranking: do not drop history items from the candidates')
    .action(async (o: { run: string; protocol: string; seeds: string; split: string; negatives: number; keepHistory?: boolean }) => {
      if (!(PROTOCOLS as readonly string[]).includes(o.protocol))
        throw new CfmError('CFM_E_CONFIG', `unknown protocol "${o.protocol}" (expected ${PROTOCOLS.join(', ')})`, { field: 'protocol' });
      if (o.split !== 'valid' && o.split !== 'test') throw new CfmError('CFM_E_CONFIG', `split must be valid or test, got "${o.split}"`, { field: 'split' });
      await initBackend();
      const seeds = o.seeds.split(',').map((s) => Number(s.trim()));
      const r = await evalRun({
        run: o.run,
        protocol: o.protocol as (typeof PROTOCOLS)[number],
        seeds,
        split: o.split,
        negatives: o.negatives,
        excludeHistory: !o.keepHistory,
        progress: lineProgress((l) => process.stderr.write(l + '\n'), 10_000),
      });
      process.stdout.write(r.text + '\n');
    });
}
