/** Pre-train (or resume, or reuse) one ShopperBERT variant on a prepared dataset and save its artifact:
 * `<out>/model` (artifact), `<out>/checkpoints` (resume), `<out>/train.json` (report). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineProgress, type FitReport, type PreparedDataset, type ProgressReporter } from '@cfm/core';
import {
  createShopperBert,
  loadItemTitles,
  shopperbert,
  titleVectors,
  type ShopperBertConfig,
  type ShopperBertModel,
} from '@cfm/model-shopperbert';

export interface PretrainOptions {
  data: PreparedDataset;
  preparedDir: string;
  out: string;
  config: Partial<ShopperBertConfig>;
  epochs: number;
  seed: number;
  progress?: ProgressReporter;
}

/** the four variants of Table 4: MP, MP+A, CLS, CLS+A */
export const VARIANTS: Record<string, Partial<ShopperBertConfig>> = {
  MP: { variant: 'MP', augment: false },
  'MP+A': { variant: 'MP', augment: true },
  CLS: { variant: 'CLS', augment: false },
  'CLS+A': { variant: 'CLS', augment: true },
};

export async function pretrainShopperBert(o: PretrainOptions): Promise<{ model: ShopperBertModel; report?: FitReport; seconds: number }> {
  const progress = o.progress ?? lineProgress();
  const dir = join(o.out, 'model');
  if (existsSync(join(dir, 'manifest.json'))) {
    const report = existsSync(join(o.out, 'train.json'))
      ? (JSON.parse(readFileSync(join(o.out, 'train.json'), 'utf8')) as FitReport & { seconds: number })
      : undefined;
    return { model: (await shopperbert.load(dir)) as ShopperBertModel, report, seconds: report?.seconds ?? NaN };
  }
  mkdirSync(o.out, { recursive: true });
  const name = o.data.dataset.toLowerCase();
  const preset = Object.entries(shopperbert.presets ?? {}).find(([k]) => name.includes(k.toLowerCase()))?.[1];
  const config = shopperbert.config.parse({ ...preset, ...o.config, seed: o.seed, epochs: o.epochs });
  const titles = config.textDim > 0 ? await loadItemTitles(o.preparedDir, o.data.vocabs.item) : [];
  const itemText = config.textDim > 0 ? titleVectors(titles, config.textDim) : undefined;
  const model = createShopperBert(config, { vocabs: o.data.vocabs, itemFeatures: o.data.itemFeatures, itemText });
  model.progress = progress;
  const t0 = Date.now();
  const report = await model.fit(o.data, { checkpointDir: join(o.out, 'checkpoints'), checkpointEvery: 20 });
  const seconds = (Date.now() - t0) / 1000;
  writeFileSync(join(o.out, 'train.json'), JSON.stringify({ ...report, seconds, params: model.params.count() }, null, 1));
  await model.save(dir);
  return { model, report, seconds };
}
