/** The ShopperBERT downstream suite (Tables 3, 4, 6 and Fig. 2 analogues) on a prepared dataset:
 * four pre-trained variants (MP, MP+A, CLS, CLS+A) → frozen vectors → U-MLP, against P-Trans trained from
 * scratch on the same logs, on profile classification and next-item recommendation (cold / heavy split),
 * customer-disjoint splits, repeated runs; compute costs; a UMAP picture. Writes `<out>/results.json`. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineProgress, type PreparedDataset, type ProgressReporter } from '@cfm/core';
import { summarizeSeeds } from '@cfm/eval';
import {
  SMALL,
  createShopperBert,
  loadItemTitles,
  shopperbert,
  titleVectors,
  type ShopperBertConfig,
  type ShopperBertModel,
} from '@cfm/model-shopperbert';
import { fineTune, FineTuned, FROM_SCRATCH } from '@cfm/tensor';
import {
  customerDisjointSplit,
  embedExamples,
  encoderSource,
  evaluateRecommender,
  formatBytes,
  frozenEncoder,
  frozenSource,
  nextItemTask,
  part,
  profileTasks,
  scoreOnce,
  timeIt,
  trainClassifier,
  trainRecommender,
  UMLP_HIDDEN,
  withSpeedup,
  type ClassificationTask,
  type CostRow,
  type Split,
} from '@cfm/downstream';
import { pretrainShopperBert, VARIANTS } from './pretrain';
import { umapPicture } from './umap';

export interface SuiteOptions {
  data: PreparedDataset;
  preparedDir: string;
  out: string;
  pretrainEpochs: number;
  /** U-MLP repeats (paper: 10) and P-Trans repeats (costly on CPU) */
  repeats: number;
  ptransRepeats: number;
  headEpochs: number;
  ptransEpochs: number;
  /** encoder settings (default SMALL) */
  config?: Partial<ShopperBertConfig>;
  /** where the UMAP picture goes (without extension) */
  umapFile?: string;
  progress?: ProgressReporter;
}

type Metrics = Record<string, number>;
const FRACTIONS: [number, number, number] = [0.8, 0.1, 0.1];

export async function runShopperBertSuite(o: SuiteOptions): Promise<Record<string, unknown>> {
  const progress = o.progress ?? lineProgress();
  const config = { ...SMALL, ...o.config };
  mkdirSync(o.out, { recursive: true });
  const [gender, age] = profileTasks(o.data);
  const rec = nextItemTask(o.data);
  // finished runs are kept in <out>/runs.json, so a re-run skips them (the suite resumes)
  const cells = join(o.out, 'runs.json');
  const results: Record<string, Record<string, Metrics[]>> = existsSync(cells) ? JSON.parse(readFileSync(cells, 'utf8')) : {};
  const add = (task: string, model: string, m: Metrics) => {
    ((results[task] ??= {})[model] ??= []).push(m);
    writeFileSync(cells, JSON.stringify(results));
  };
  const done = (task: string, model: string, r: number) => (results[task]?.[model]?.length ?? 0) > r;
  const splits = (n: number, r: number): Split => customerDisjointSplit(n, FRACTIONS, 1000 + r);
  const vectorsOf: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(VARIANTS)) {
    progress.log(`pre-train / load ShopperBERT ${name}`);
    const { model } = await pretrainShopperBert({
      data: o.data,
      preparedDir: o.preparedDir,
      out: join(o.out, 'pretrain', name),
      config: { ...config, ...v },
      epochs: o.pretrainEpochs,
      seed: 1,
      progress,
    });
    const d = model.embeddingDim;
    for (const t of [gender, age]) {
      const vec = embedExamples(model, t, config.maxLen!);
      if (t === gender) vectorsOf[name] = vec;
      for (let r = 0; r < o.repeats; r++) {
        if (done(t.name, `U-MLP ${name}`, r)) continue;
        const s = splits(t.rows.length, r);
        const { metrics, model: head } = await trainClassifier(frozenEncoder(t, vec, d), t, s.train, s.test, {
          freezeEncoder: true,
          epochs: o.headEpochs,
          lr: 1e-3,
          seed: r,
          maxLen: config.maxLen!,
        });
        head.dispose();
        add(t.name, `U-MLP ${name}`, metrics);
      }
      progress.log(`${t.name} U-MLP ${name}: ${JSON.stringify(mean(results[t.name][`U-MLP ${name}`]))}`);
    }
    const vec = embedExamples(model, rec, config.maxLen!);
    for (let r = 0; r < o.repeats; r++) {
      if (done(rec.name, `U-MLP ${name}`, r)) continue;
      const s = splits(rec.rows.length, r);
      const { model: m } = await trainRecommender(frozenSource(vec, d), rec, s.train, { epochs: o.headEpochs, lr: 1e-3, seed: r });
      add(rec.name, `U-MLP ${name}`, flat(evaluateRecommender(m, rec, s.test, r)));
      m.params.dispose();
    }
    progress.log(`next-item U-MLP ${name}: ${JSON.stringify(mean(results[rec.name][`U-MLP ${name}`]))}`);
    model.dispose();
  }
  const titles = titleVectors(await loadItemTitles(o.preparedDir, o.data.vocabs.item), config.textDim!);
  const ptrans = (seed: number) =>
    createShopperBert({ ...config, variant: 'CLS', augment: false, nLayers: 4, sharedLayers: true, seed }, { ...o.data, itemText: titles });
  for (let r = 0; r < o.ptransRepeats; r++) {
    for (const t of [gender, age]) {
      if (done(t.name, 'P-Trans', r)) continue;
      const s = splits(t.rows.length, r);
      const enc = ptrans(r);
      const { metrics } = await trainClassifier(enc, t, s.train, s.test, {
        freezeEncoder: false,
        epochs: o.ptransEpochs,
        lr: 1e-3,
        seed: r,
        maxLen: config.maxLen!,
        settings: FROM_SCRATCH, // built from scratch: one learning rate, no head warm-up
      });
      add(t.name, 'P-Trans', metrics);
      progress.log(`${t.name} P-Trans repeat ${r}: ${JSON.stringify(metrics)}`);
      enc.dispose();
    }
    if (done(rec.name, 'P-Trans', r)) continue;
    const s = splits(rec.rows.length, r);
    const enc = ptrans(r);
    const { model: m } = await trainRecommender(encoderSource(enc, rec, config.maxLen!), rec, s.train, {
      epochs: o.ptransEpochs,
      lr: 1e-3,
      seed: r,
    });
    add(rec.name, 'P-Trans', flat(evaluateRecommender(m, rec, s.test, r)));
    progress.log(`next-item P-Trans repeat ${r}: ${JSON.stringify(results[rec.name]['P-Trans'].at(-1))}`);
    m.params.dispose();
    enc.dispose();
  }
  const costs = await computeCosts(o, gender, config, titles, vectorsOf['MP+A']);
  let pictures: string[] = [];
  if (o.umapFile) {
    const n = Math.min(2000, gender.rows.length);
    const labels = Array.from(gender.labels.subarray(0, n), (y) => (y ? 'F' : 'M'));
    pictures = await umapPicture(
      vectorsOf['CLS+A'].subarray(0, n * config.dModel!),
      config.dModel!,
      labels,
      'ShopperBERT CLS+A, movielens-1m, gender',
      o.umapFile,
      0,
      progress,
    );
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([t, byModel]) => [
      t,
      Object.fromEntries(Object.entries(byModel).map(([m, runs]) => [m, summarize(runs)])),
    ]),
  );
  const out = {
    dataset: o.data.dataset,
    config,
    repeats: o.repeats,
    ptransRepeats: o.ptransRepeats,
    split: FRACTIONS,
    tasks: [gender, age, rec].map((t) => ({ name: t.name, rule: t.rule, examples: t.rows.length })),
    summary,
    costs,
    pictures,
  };
  writeFileSync(join(o.out, 'results.json'), JSON.stringify(out, null, 1));
  return out;
}

/** Table 3 analogue on the gender task: U-MLP (MP+A vectors), P-Trans, fine-tuning the full ShopperBERT */
async function computeCosts(
  o: SuiteOptions,
  t: ClassificationTask,
  config: Partial<ShopperBertConfig>,
  titles: Float32Array,
  vectors: Float32Array,
): Promise<CostRow[]> {
  const s = customerDisjointSplit(t.rows.length, FRACTIONS, 1000);
  const train = s.train.subarray(0, 256);
  const ex = part(t, s.test);
  const idx = Array.from({ length: Math.min(128, s.test.length) }, (_, i) => i);
  const d = config.dModel!;
  const tokens = Array.from(t.rows, (c, i) => t.ends[i] - t.history.offsets[c]).reduce((a, b) => a + b, 0);
  const rawBytes = tokens * (4 + 8); // item id + event time per token
  const rows: Omit<CostRow, 'speedup'>[] = [];
  const measure = async (name: string, inputs: string, enc: Parameters<typeof fineTune>[0], frozen: boolean, dataBytes: number) => {
    const { model } = await fineTune(enc, part(t, train), {
      freezeEncoder: frozen,
      hidden: UMLP_HIDDEN,
      epochs: 1,
      maxLen: config.maxLen!,
      seed: 0,
      // one epoch of end-to-end training, as the cost table measures it (no head warm-up, no held-out customers)
      headWarmupEpochs: 0,
      encoderLrScale: 1,
      keepBest: false,
    });
    const scorer = new FineTuned(enc, model.head, model.headParams, model.o);
    const ms = timeIt(() => scoreOnce(scorer, ex, idx), 10);
    rows.push({ model: name, inputs, msPerBatch: ms, parameters: model.headParams.count() + (frozen ? 0 : enc.params.count()), dataBytes });
    model.dispose();
  };
  const full = (await shopperbert.load(join(o.out, 'pretrain', 'MP+A', 'model'))) as ShopperBertModel;
  await measure('ShopperBERT MP+A (fine-tuning)', 'purchase logs', full, false, rawBytes);
  full.dispose();
  const p = createShopperBert({ ...config, variant: 'CLS', nLayers: 4, sharedLayers: true, seed: 0 }, { ...o.data, itemText: titles });
  await measure('P-Trans', 'purchase logs', p, false, rawBytes);
  p.dispose();
  await measure('U-MLP', 'pre-trained user vectors', frozenEncoder(t, vectors, d), true, t.rows.length * d * 4);
  return withSpeedup(rows);
}

function flat(m: Record<string, Record<string, number>>): Metrics {
  return Object.fromEntries(Object.entries(m).flatMap(([seg, ms]) => Object.entries(ms).map(([k, v]) => [`${seg}/${k}`, v])));
}
function mean(runs: Metrics[]): Metrics {
  return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, +(runs.reduce((a, r) => a + r[k], 0) / runs.length).toFixed(4)]));
}
function summarize(runs: Metrics[]): Record<string, { mean: number; std: number; n: number }> {
  return Object.fromEntries(
    Object.keys(runs[0]).map((k) => {
      const s = summarizeSeeds(runs.map((r) => r[k]));
      return [k, { mean: s.mean, std: s.std, n: runs.length }];
    }),
  );
}
export { formatBytes };

/** one line per dataset × task × model × metric (mean ± std over repeats), then the cost rows */
export function suiteLines(r: Awaited<ReturnType<typeof runShopperBertSuite>>): string[] {
  const lines: string[] = [];
  const summary = r.summary as Record<string, Record<string, Record<string, { mean: number; std: number; n: number }>>>;
  for (const [task, byModel] of Object.entries(summary))
    for (const [model, metrics] of Object.entries(byModel))
      for (const [k, s] of Object.entries(metrics))
        lines.push(
          `shopperbert ${r.dataset} customer-disjoint ${task} ${model} ${k} ${s.mean.toFixed(4)} ± ${s.std.toFixed(4)} (n=${s.n})`,
        );
  for (const c of r.costs as CostRow[])
    lines.push(
      `shopperbert ${r.dataset} cost ${c.model}: ${c.msPerBatch.toFixed(2)} ms / batch of 128, speedup ${c.speedup.toFixed(1)}x, ${c.parameters} parameters, data ${formatBytes(c.dataBytes)}`,
    );
  return lines;
}
