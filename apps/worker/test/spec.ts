import { resolveRunSpec } from '@cfm/pipeline';
import type { RunSpec } from '@cfm/contracts';

/** A small real run: simulated shop (250 customers, 30 days), a tiny BERT4Rec. `epochs` sets the
 * training length (steps = epochs × ceil(customers / batch)). */
export function smallSpec(
  workDir: string,
  o: {
    epochs?: number;
    checkpointEvery?: number;
    name?: string;
    benchmarks?: unknown[];
    customers?: number;
    seeds?: number[];
    shards?: number;
  } = {},
): RunSpec {
  return resolveRunSpec({
    name: o.name ?? 'it',
    seed: 7,
    workDir,
    dataset: { source: 'simulator', customers: o.customers ?? 250, items: 120, days: 30, startDate: '2024-01-01' },
    ...(o.seeds ? { seeds: o.seeds } : {}),
    ...(o.shards ? { prepare: { shards: o.shards } } : {}),
    split: { kind: 'temporal' },
    families: [
      {
        name: 'bert4rec',
        checkpointEvery: o.checkpointEvery ?? 5,
        config: { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 30, batchSize: 16, lr: 0.003, epochs: o.epochs ?? 2 },
      },
    ],
    evaluate: { protocol: 'full', ks: [10] },
    export: { topK: 5 },
    benchmarks: o.benchmarks ?? [],
  });
}
