/** The dmt ModelFamily: create from a config + vocabularies, load from an artifact directory. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type ModelFamily, type Vocabularies } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import { DmtConfig } from './config';
import type { Catalogue } from './impression-types';
import type { DenseStats } from './batch';
import { catalogueFromJson, DmtModel } from './model';

/** category ← the deepest category level present, brand ← brand, shop ← productLine (prepared-data names) */
export function catalogueFromPrepared(vocabs: Vocabularies, itemFeatures: Record<string, Int32Array>): Catalogue {
  if (!vocabs.item) throw new CfmError('CFM_E_CONFIG', 'dmt needs an "item" vocabulary', { field: 'vocabs.item' });
  const names: Record<string, string | undefined> = {
    category: ['category', 'category4', 'category3', 'category2', 'category1'].find((f) => itemFeatures[f] && vocabs[f]),
    brand: itemFeatures.brand && vocabs.brand ? 'brand' : undefined,
    shop: ['shop', 'productLine'].find((f) => itemFeatures[f] && vocabs[f]),
  };
  const out: Catalogue = { vocabs: { item: vocabs.item }, itemFeatures: {} };
  for (const [to, from] of Object.entries(names)) if (from) [out.vocabs[to], out.itemFeatures[to]] = [vocabs[from], itemFeatures[from]];
  return out;
}

export const dmt: ModelFamily<DmtConfig> = {
  name: 'dmt',
  description:
    'DMT (Gu et al. 2020): per-behaviour transformers, MMoE over interest vectors + dense features, bias network; CTR / CVR ranking',
  config: DmtConfig,
  create(config, { vocabs, itemFeatures }) {
    return new DmtModel(DmtConfig.parse(config), catalogueFromPrepared(vocabs, itemFeatures));
  },
  async load(dir) {
    const a = loadArtifact(dir, 'dmt');
    try {
      const m = new DmtModel(
        DmtConfig.parse(a.manifest.config),
        catalogueFromJson(a.extra('catalogue.json')),
        a.extra('dense-stats.json') as DenseStats,
      );
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
