/** The one model interface every family implements (docs/architecture.md). Types only:
 * no TF.js here, so that the pipeline and workflows can name them without loading TF.js. */

/** A padded batch of customer sequences; row-major [batch, maxLen]. PAD = 0. */
export interface SequenceBatch {
  batchSize: number;
  maxLen: number;
  /** item ids (vocabulary ids) */
  items: Int32Array;
  /** optional per-feature id tensors, e.g. { category: Int32Array, brand: Int32Array, type: Int32Array } */
  features?: Record<string, Int32Array>;
  /** optional timestamps, epoch seconds, same shape as items */
  times?: Float64Array;
  customerIds?: string[];
}

export interface Vocabulary {
  name: string;
  /** token strings; index = id; ids < RESERVED_IDS are reserved */
  tokens: string[];
  hash: string;
}
export type Vocabularies = Record<string, Vocabulary>;

export interface FitOptions {
  epochs?: number;
  seed?: number;
  checkpointDir?: string;
  checkpointEvery?: number;
  onProgress?: (p: { epoch: number; step: number; loss: number; metric?: number; seqPerSec?: number }) => void;
}

export interface FitReport {
  epochs: number;
  steps: number;
  bestMetric?: number;
  history: Array<{ epoch: number; loss: number; metric?: number; seconds: number }>;
}

export interface ArtifactManifest {
  family: string;
  configHash: string;
  vocabHash: string;
  seed: number;
  metrics?: Record<string, number>;
  files: Record<string, string>;
}
