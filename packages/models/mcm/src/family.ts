/** The mcm ModelFamily: create from a config + vocabularies + item attributes, load from an artifact. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type ModelFamily, type Vocabularies } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import { McmConfig, PRESETS } from './config';
import { McmModel } from './model';

function vocabSizes(vocabs: Vocabularies): Record<string, number> {
  return Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.tokens.length]));
}

export const mcm: ModelFamily<McmConfig> = {
  name: 'mcm',
  description:
    'MCM (Luo & Wang 2023): heterogeneous feature embeddings, BERT encoder, task-aware attentional readout, multi-task heads, random prefix augmentation',
  config: McmConfig,
  presets: PRESETS,
  create(config, { vocabs, itemFeatures }) {
    if (!vocabs.item) throw new CfmError('CFM_E_CONFIG', 'mcm needs an "item" vocabulary', { field: 'vocabs.item' });
    return new McmModel(McmConfig.parse(config), { vocabSizes: vocabSizes(vocabs), itemFeatures }, vocabs.item.hash);
  },
  async load(dir) {
    const a = loadArtifact(dir, 'mcm');
    try {
      const dims = a.extra('dims.json') as { vocabSizes: Record<string, number>; itemFeatures: Record<string, number[]> };
      const itemFeatures = Object.fromEntries(Object.entries(dims.itemFeatures).map(([k, v]) => [k, Int32Array.from(v)]));
      const m = new McmModel(McmConfig.parse(a.manifest.config), { vocabSizes: dims.vocabSizes, itemFeatures }, a.manifest.vocabHash);
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
