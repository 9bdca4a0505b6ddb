/** The session-heads ModelFamily: create from a config + vocabularies, load from an artifact directory. */
import * as tf from '@tensorflow/tfjs';
import { CfmError, type ModelFamily } from '@cfm/core';
import { loadArtifact } from '@cfm/tensor';
import { SessionHeadsConfig } from './config';
import { SessionHeadsModel } from './model';
import type { AttributeSpec } from './model-types';
import { buyTypeOf, preparedSpecs } from './prepared';

export const sessionHeads: ModelFamily<SessionHeadsConfig> = {
  name: 'session-heads',
  description:
    'MeLi session heads (Zivic et al. 2023): GRU / moving-average session encoder pre-trained on purchase and next / purchased item attribute heads; SCID features',
  config: SessionHeadsConfig,
  create(config, { vocabs, itemFeatures }) {
    const item = vocabs.item;
    if (!item) throw new CfmError('CFM_E_CONFIG', 'session-heads needs an "item" vocabulary', { field: 'vocabs.item' });
    const c = SessionHeadsConfig.parse(config);
    return new SessionHeadsModel(c, preparedSpecs(c, itemFeatures), item.tokens.length, item.hash, buyTypeOf(vocabs));
  },
  async load(dir) {
    const a = loadArtifact(dir, 'session-heads');
    try {
      const { specs, items, buyType } = a.extra('dims.json') as { specs: AttributeSpec[]; items: number; buyType: number };
      const m = new SessionHeadsModel(SessionHeadsConfig.parse(a.manifest.config), specs, items, a.manifest.vocabHash, buyType);
      m.params.assign(a.weights, dir);
      m.metrics = a.manifest.metrics ?? {};
      return m;
    } finally {
      tf.dispose(a.weights);
    }
  },
};
