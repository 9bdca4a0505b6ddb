import { resolveRunConfig } from '@cfm/pipeline';
import type { RunSpec } from '@cfm/contracts';

/** A small real run: simulated shop (250 customers, 30 days), a tiny BERT4Rec. `epochs` sets the
 * training length (steps = epochs × ceil(customers / batch)). */
export function smallSpec(workDir: string, o: { epochs?: number; checkpointEvery?: number; name?: string } = {}): RunSpec {
  return resolveRunConfig({
    name: o.name ?? 'it', seed: 7, workDir,
    dataset: { source: 'simulator', customers: 250, items: 120, days: 30, startDate: '2024-01-01' },
    split: { kind: 'temporal' },
    maxLen: 30,
    families: [{
      name: 'bert4rec', epochs: o.epochs ?? 2, checkpointEvery: o.checkpointEvery ?? 5,
      config: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 30, batchSize: 16, lr: 0.003 },
    }],
    evaluate: { protocol: 'full', ks: [10] },
    export: { topK: 5 },
  });
}
