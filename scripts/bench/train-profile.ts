/** Where a bench:train step spends its time, per kernel (tf.profile), on one backend:
 *   CFM_BACKEND=tensorflow tsx scripts/bench/train-profile.ts [--top 15] [--each] [--set maxLen=200,batchSize=128,attnDropout=0]
 * Prints kernel name, calls, total ms and share, largest first; plus the step's kernel count. */
import * as tf from '@tensorflow/tfjs';
import { printProfile } from './profile-table';
import { AdamW, Ctx, initBackend, trainStep } from '@cfm/tensor';
import { Bert4RecConfig, Bert4RecModel, ClozeSampler, type ClozeBatch } from '@cfm/model-bert4rec';
import { loadBeauty } from './train-data';
import { BENCH_CONFIG } from './train-config';

async function main(): Promise<void> {
  const top = Number(process.argv[process.argv.indexOf('--top') + 1] || 15);
  await initBackend();
  const set = process.argv.includes('--set') ? process.argv[process.argv.indexOf('--set') + 1] : '';
  const over = Object.fromEntries(
    set
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]),
  );
  const config = Bert4RecConfig.parse({ ...BENCH_CONFIG, warmupSteps: 0, schedule: 'constant', ...over });
  const { seqs, itemCount } = loadBeauty('dense', config.maxLen);
  const model = new Bert4RecModel(config, itemCount, 'bench');
  const sampler = new ClozeSampler(seqs, config);
  const opt = new AdamW(model.params.trainable(), { lr: config.lr, totalSteps: 10, schedule: 'constant' });
  const task = { loss: (b: ClozeBatch, ctx: Ctx) => model.loss(b, ctx) };
  trainStep(task as never, opt, sampler.batch(0, 0), new Ctx(true, 1)); // warm-up
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) trainStep(task as never, opt, sampler.batch(0, 2 + i), new Ctx(true, 3 + i));
  process.stdout.write(`wall ${((Date.now() - t0) / 3).toFixed(0)} ms/step unprofiled (${JSON.stringify(over)})\n`);
  const info = await tf.profile(() => {
    trainStep(task as never, opt, sampler.batch(0, 1), new Ctx(true, 2));
  });
  printProfile(info, top, process.argv.includes('--each'), tf.getBackend());
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
