/** The shopperbert ModelFamily: create from a config + vocabularies (+ optional item text vectors), load from an artifact. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, RESERVED_IDS, type ModelFamily, type Vocabularies } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import type { ShopperBertDims } from './backbone';
import { ShopperBertConfig, PRESETS } from './config';
import { dateVocabSize } from './dates';
import { ShopperBertModel } from './model';
import { loadItemTitles, titleVectors } from './text';

/** what create() reads besides vocabularies: per-item attribute ids and, optionally, text vectors [V, textDim] */
export interface ShopperBertInputs {
  vocabs: Vocabularies;
  itemFeatures: Record<string, Int32Array>;
  itemText?: Float32Array;
}

/** category levels present in the data (a vocabulary with real tokens and per-item ids) and the date parts */
export function shopperBertDims(c: ShopperBertConfig, data: ShopperBertInputs): ShopperBertDims {
  const item = data.vocabs.item;
  if (!item) throw new CfmError('CFM_E_CONFIG', 'shopperbert needs an "item" vocabulary', { field: 'vocabs.item' });
  const categories = c.categories.filter((f) => (data.vocabs[f]?.tokens.length ?? 0) > RESERVED_IDS && data.itemFeatures[f]);
  const vocabSizes: Record<string, number> = {};
  for (const f of categories) vocabSizes[f] = data.vocabs[f].tokens.length;
  for (const p of c.dateParts) vocabSizes[p] = dateVocabSize(p, c);
  return { itemCount: item.tokens.length, vocabSizes, categories, dateParts: [...c.dateParts] };
}

/** a model from a (partial) config and the data inputs, text vectors included when given */
export function createShopperBert(config: Partial<ShopperBertConfig>, data: ShopperBertInputs): ShopperBertModel {
  const c = ShopperBertConfig.parse(config);
  const m = new ShopperBertModel(c, shopperBertDims(c, data), data.itemFeatures, data.vocabs.item.hash);
  if (data.itemText) m.backbone.setText(data.itemText);
  return m;
}

export const shopperbert: ModelFamily<ShopperBertConfig> = {
  name: 'shopperbert',
  description:
    'ShopperBERT / One4all (Shin et al. 2021): masked purchase prediction over category and date sub-tasks; MP or CLS user vectors, optional shuffle / crop',
  config: ShopperBertConfig,
  presets: PRESETS,
  create: (config, data, inputs) => createShopperBert(config, { ...data, ...(inputs as Partial<ShopperBertInputs>) } as ShopperBertInputs),
  /** hashed bag-of-words vectors of the catalogue's item titles (zeros for items without one) */
  async inputs(preparedDir, config, data) {
    return config.textDim > 0 ? { itemText: titleVectors(await loadItemTitles(preparedDir, data.vocabs.item), config.textDim) } : {};
  },
  async load(dir) {
    const a = loadArtifact(dir, 'shopperbert');
    try {
      const dims = a.extra('dims.json') as ShopperBertDims;
      const feats = a.extra('item-features.json') as Record<string, number[]>;
      const itemFeatures = Object.fromEntries(Object.entries(feats).map(([f, v]) => [f, Int32Array.from(v)]));
      const m = new ShopperBertModel(ShopperBertConfig.parse(a.manifest.config), dims, itemFeatures, a.manifest.vocabHash);
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
