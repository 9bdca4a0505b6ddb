/** The ShopperBERT paper suite of `npm run bench:quality -- shopperbert-paper [--quick]` (Tables 3, 4, 6 and Fig. 2 analogues
 * on movielens-1m). Pre-trained variants are reused from runs/bench/shopperbert-movielens-1m/pretrain/<variant>
 * when present (re-running resumes from checkpoints). Settings sized for the shared 2-core machine.
 * Defaults: the medium encoder, 20 pre-training epochs, 10 repeats.
 * Knobs: CFM_SB_SIZE=small (the small bench encoder, its own run folder), CFM_SB_PRETRAIN_EPOCHS, CFM_SB_REPEATS, CFM_SB_PTRANS_REPEATS. */
import { lineProgress } from '@cfm/core';
import { loadPrepared } from '@cfm/data';
import { runShopperBertSuite, suiteLines } from '@cfm/benchmarks';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDataset } from '@cfm/datasets';
import { initBackend } from '@cfm/tensor';

/** the small encoder (CFM_SB_SIZE=small) */
export const BENCH_ENCODER = { dModel: 32, nHeads: 2, nLayers: 1, maxLen: 32, textDim: 64, batchSize: 64 };
/** the default encoder (run folder suffix -medium) */
export const MEDIUM_ENCODER = { dModel: 64, nHeads: 2, nLayers: 2, maxLen: 64, textDim: 64, batchSize: 64 };

export async function run(quick: boolean): Promise<void> {
  const backend = await initBackend();
  const progress = lineProgress((l) => process.stderr.write(l + '\n'), 30_000);
  const medium = process.env.CFM_SB_SIZE !== 'small';
  const out = `runs/bench/shopperbert-movielens-1m${quick ? '-quick' : ''}${medium ? '-medium' : ''}`;
  const preparedDir = process.env.CFM_PREPARED_ML1M ?? join(out, 'data');
  if (!existsSync(join(preparedDir, 'manifest.json'))) await prepareDataset({ dataset: 'movielens-1m', out: preparedDir, progress });
  const data = await loadPrepared(preparedDir);
  const r = await runShopperBertSuite({
    data,
    preparedDir,
    out,
    config: medium ? MEDIUM_ENCODER : BENCH_ENCODER,
    progress,
    umapFile: quick ? undefined : `docs/img/shopperbert-umap-gender${medium ? '-medium' : ''}`,
    // paper: 10 repeats
    pretrainEpochs: quick ? 1 : Number(process.env.CFM_SB_PRETRAIN_EPOCHS ?? (medium ? 20 : 2)),
    repeats: quick ? 1 : Number(process.env.CFM_SB_REPEATS ?? (medium ? 10 : 3)),
    ptransRepeats: quick ? 1 : Number(process.env.CFM_SB_PTRANS_REPEATS ?? (medium ? 10 : 1)),
    headEpochs: quick ? 2 : 10,
    ptransEpochs: quick ? 1 : 2,
  });
  for (const l of suiteLines(r)) process.stdout.write(`${l} backend=${backend.name}\n`);
}
