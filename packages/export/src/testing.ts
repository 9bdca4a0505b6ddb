import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, type ArtifactManifest, type CustomerModel } from '@cfm/core';

/** Test fixture: a model whose save() writes TF.js-shaped files (model.json + weights/weights.bin)
 * and a manifest the way a family does; nothing else works on it. */
export function savingModel(weights: Uint8Array, vocabHash = 'vocab-aaaa', family = 'toy'): CustomerModel {
  return {
    family,
    embeddingDim: 2,
    maxLen: 8,
    tasks: ['next_item'],
    taskOutputs: { next_item: { vocab: 'item' } },
    async save(dir: string): Promise<ArtifactManifest> {
      mkdirSync(join(dir, 'weights'), { recursive: true });
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['weights/weights.bin'] }] }));
      writeFileSync(join(dir, 'weights', 'weights.bin'), weights);
      const config = { hidden: 2 };
      const m: ArtifactManifest = {
        family,
        config,
        configHash: configHash(config),
        vocabHash,
        seed: 3,
        files: {},
        createdAt: '2024-01-01T00:00:00Z',
        metrics: { loss: 1 },
      };
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
      return m;
    },
    fit: () => Promise.reject(new Error('not used')),
    embed: () => new Float32Array(),
    score: () => new Float32Array(),
    dispose() {},
  };
}
