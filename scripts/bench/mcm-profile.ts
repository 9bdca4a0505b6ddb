/** Where an MCM_Final training step on Beauty spends its time, per kernel (tf.profile):
 *   CFM_BACKEND=tensorflow npx tsx scripts/bench/mcm-profile.ts [runs/data/s3rec-beauty] [--top 25] [--each]
 * Same settings as the MCM suite's Beauty runs (docs/models/mcm.md). */
import * as tf from '@tensorflow/tfjs';
import { printProfile } from './profile-table';
import { AdamW, Ctx, initBackend, trainStep } from '@cfm/tensor';
import { loadPrepared } from '@cfm/data';
import { mcm, McmSampler, type McmModel } from '@cfm/model-mcm';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const top = argv.includes('--top') ? Number(argv[argv.indexOf('--top') + 1]) : 25;
  await initBackend();
  const data = await loadPrepared(argv.find((a) => !a.startsWith('--') && Number.isNaN(Number(a))) ?? 'runs/data/s3rec-beauty');
  const config = mcm.config.parse({
    ...mcm.presets?.beauty,
    variant: 'MCM_Final',
    dModel: 64,
    maxLen: 50,
    samplesPerSequence: 2,
    batchSize: 128,
    lr: 0.001,
    negatives: 512,
  });
  const model = mcm.create(config, { vocabs: data.vocabs, itemFeatures: data.itemFeatures }) as McmModel;
  const sampler = new McmSampler(data.train, { ...model.config, objective: 'prefix', seed: 1, itemCount: model.backbone.itemCount });
  const opt = new AdamW(model.params.trainable(), { lr: 0.001, totalSteps: 10, schedule: 'constant' });
  const task = { loss: (b: never, ctx: Ctx) => model.loss(b, ctx) };
  trainStep(task as never, opt, sampler.batch(0, 0) as never, new Ctx(true, 1));
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) trainStep(task as never, opt, sampler.batch(0, 2 + i) as never, new Ctx(true, 3 + i));
  process.stdout.write(`wall ${((Date.now() - t0) / 5).toFixed(0)} ms/step unprofiled\n`);
  const info = await tf.profile(() => {
    trainStep(task as never, opt, sampler.batch(0, 1) as never, new Ctx(true, 2));
  });
  printProfile(info, top, process.argv.includes('--each'), tf.getBackend());
  process.exit(0);
}
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
