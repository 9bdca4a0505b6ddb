/** The BERT4Rec benchmark config of bench:train (issue 10): Beauty, hidden 64, 2 layers, 2 heads, length 50, batch 256. */
export const BENCH_CONFIG = { dModel: 64, nLayers: 2, nHeads: 2, maxLen: 50, batchSize: 256, maskProb: 0.6, seed: 42 } as const;
