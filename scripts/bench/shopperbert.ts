/** The ShopperBERT suite of `npm run bench:quality -- shopperbert [--quick]` (Tables 3, 4, 6 and Fig. 2 analogues
 * on movielens-1m). Pre-trained variants are reused from runs/bench/shopperbert-movielens-1m/pretrain/<variant>
 * when present (re-running resumes from checkpoints). Settings sized for the shared 2-core machine.
 * Knobs: CFM_SB_SIZE=medium (larger encoder, own run folder), CFM_SB_PRETRAIN_EPOCHS (default 2), CFM_SB_REPEATS (3). */
import { lineProgress } from '@cfm/core';
import { loadPrepared } from '@cfm/data';
import { runShopperBertSuite, suiteLines } from '@cfm/downstream';
import { resolvePrepared } from '@cfm/models';
import { initBackend } from '@cfm/tensor';

/** encoder size used for the measured run (see docs/models/shopperbert.md) */
export const BENCH_ENCODER = { dModel: 32, nHeads: 2, nLayers: 1, maxLen: 32, textDim: 64, batchSize: 64 };
/** a larger encoder for a machine with free cores: CFM_SB_SIZE=medium (own run folder, -medium) */
export const MEDIUM_ENCODER = { dModel: 64, nHeads: 2, nLayers: 2, maxLen: 64, textDim: 64, batchSize: 64 };

export async function run(quick: boolean): Promise<void> {
  const backend = await initBackend();
  const progress = lineProgress((l) => process.stderr.write(l + '\n'), 30_000);
  const medium = process.env.CFM_SB_SIZE === 'medium';
  const out = `runs/bench/shopperbert-movielens-1m${quick ? '-quick' : ''}${medium ? '-medium' : ''}`;
  const preparedDir = await resolvePrepared(process.env.CFM_PREPARED_ML1M ?? 'movielens-1m', out, progress);
  const data = await loadPrepared(preparedDir);
  const r = await runShopperBertSuite({
    data, preparedDir, out, config: medium ? MEDIUM_ENCODER : BENCH_ENCODER, progress,
    umapFile: quick ? undefined : `docs/img/shopperbert-umap-gender${medium ? '-medium' : ''}`,
    // paper: 10 repeats; the shared 2-core box affords 3 (set CFM_SB_REPEATS=10 where there is CPU)
    pretrainEpochs: quick ? 1 : Number(process.env.CFM_SB_PRETRAIN_EPOCHS ?? 2), repeats: quick ? 1 : Number(process.env.CFM_SB_REPEATS ?? 3), ptransRepeats: 1, headEpochs: quick ? 2 : 10, ptransEpochs: quick ? 1 : 2,
  });
  for (const l of suiteLines(r)) process.stdout.write(`${l} backend=${backend.name}\n`);
}
