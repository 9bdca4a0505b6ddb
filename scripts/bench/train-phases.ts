/** Time split of a bench:train step (batch, forward only, forward + backward, optimizer), 5 steps after one warm-up:
 *   CFM_BACKEND=tensorflow npx tsx scripts/bench/train-phases.ts   (CFM_FUSED_CE=0: without the fused output layer) */
import * as tf from '@tensorflow/tfjs';
import { AdamW, Ctx, initBackend } from '@cfm/tensor';
import { Bert4RecConfig, Bert4RecModel, ClozeSampler } from '@cfm/model-bert4rec';
import { loadBeauty } from './train-data';
import { BENCH_CONFIG } from './train-config';
(async () => {
  await initBackend();
  const config = Bert4RecConfig.parse({ ...BENCH_CONFIG, warmupSteps: 0, schedule: 'constant' });
  const { seqs, itemCount } = loadBeauty('dense', config.maxLen);
  const model = new Bert4RecModel(config, itemCount, 'bench');
  const sampler = new ClozeSampler(seqs, config);
  const opt = new AdamW(model.params.trainable(), { lr: config.lr, totalSteps: 10, schedule: 'constant' });
  const vars = [...opt.vars.values()];
  const names = [...opt.vars.keys()];
  const T = { fwd: 0, grad: 0, opt: 0, batch: 0 };
  for (let i = 0; i < 6; i++) {
    let t = Date.now();
    const b = sampler.batch(0, i);
    const tb = Date.now() - t;
    t = Date.now();
    tf.tidy(() => model.loss(b, new Ctx(true, i)).dataSync());
    const tf_ = Date.now() - t;
    t = Date.now();
    const { value, grads } = tf.variableGrads(() => model.loss(b, new Ctx(true, i)), vars);
    value.dataSync();
    const tg = Date.now() - t;
    t = Date.now();
    const byName: Record<string, tf.Tensor> = {};
    for (const v of vars) byName[names[vars.indexOf(v)]] = grads[v.name];
    const norm = opt.apply(byName);
    norm.dataSync();
    const to = Date.now() - t;
    tf.dispose([value, norm, ...Object.values(grads)]);
    if (i >= 1) {
      T.fwd += tf_;
      T.grad += tg;
      T.opt += to;
      T.batch += tb;
    }
  }
  console.log(
    'ms per step (5 steps): batch',
    T.batch / 5,
    'forward-only',
    T.fwd / 5,
    'fwd+bwd',
    T.grad / 5,
    'optimizer',
    T.opt / 5,
    'vars',
    vars.length,
  );
})();
