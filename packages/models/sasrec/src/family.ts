/** The sasrec ModelFamily: create from a config + vocabularies, load from an artifact directory. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type ModelFamily } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import { PRESETS, SasRecConfig } from './config';
import { SasRecModel } from './model';

export const sasrec: ModelFamily<SasRecConfig> = {
  name: 'sasrec',
  description:
    'SASRec (Kang & McAuley 2018) with full softmax cross-entropy over all items at every position (SASRec-CE): the strong modern baseline',
  config: SasRecConfig,
  presets: PRESETS,
  create(config, { vocabs }) {
    const item = vocabs.item;
    if (!item) throw new CfmError('CFM_E_CONFIG', 'sasrec needs an "item" vocabulary', { field: 'vocabs.item' });
    return new SasRecModel(SasRecConfig.parse(config), item.tokens.length, item.hash);
  },
  async load(dir) {
    const a = loadArtifact(dir, 'sasrec');
    try {
      const { itemCount } = a.extra('dims.json') as { itemCount: number };
      const m = new SasRecModel(SasRecConfig.parse(a.manifest.config), itemCount, a.manifest.vocabHash);
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
