/** The bert4rec ModelFamily: create from a config + vocabularies, load from an artifact directory. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type ModelFamily } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import { Bert4RecConfig, PRESETS } from './config';
import { Bert4RecModel } from './model';

export const bert4rec: ModelFamily<Bert4RecConfig> = {
  name: 'bert4rec',
  description: 'BERT4Rec (Sun et al. 2019): bidirectional transformer trained with the Cloze task; baseline for every family',
  config: Bert4RecConfig,
  presets: PRESETS,
  create(config, { vocabs }) {
    const item = vocabs.item;
    if (!item) throw new CfmError('CFM_E_CONFIG', 'bert4rec needs an "item" vocabulary', { field: 'vocabs.item' });
    return new Bert4RecModel(Bert4RecConfig.parse(config), item.tokens.length, item.hash);
  },
  async load(dir) {
    const a = loadArtifact(dir, 'bert4rec');
    try {
      const { itemCount } = a.extra('dims.json') as { itemCount: number };
      const m = new Bert4RecModel(Bert4RecConfig.parse(a.manifest.config), itemCount, a.manifest.vocabHash);
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
