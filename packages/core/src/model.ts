/** The one model interface every family implements (docs/architecture.md), and the prepared-data
 * shapes that flow between @cfm/data and the model families. Types only: no TF.js or DuckDB here. */
import type { z } from 'zod';

export interface Vocabulary {
  /** e.g. 'item', 'category1'..'category4', 'brand', 'productLine', 'type', 'priceBucket' */
  name: string;
  /** token strings; index = id; ids 0..3 are [PAD] [MASK] [CLS] [OOV] */
  tokens: string[];
  /** sha256 (16 hex) of the token list */
  hash: string;
}
export type Vocabularies = Record<string, Vocabulary>;

/** Many customers' chronological token sequences in flat (CSR) form.
 * Customer c owns positions offsets[c] .. offsets[c+1]-1 of every per-token array. */
export interface CustomerSequences {
  customerIds: string[];
  /** length customerIds.length + 1 */
  offsets: Int32Array;
  /** item vocabulary id of each token */
  items: Int32Array;
  /** event-type vocabulary id of each token ('type' vocabulary) */
  types: Int32Array;
  /** event time of each token, epoch seconds */
  times: Float64Array;
  /** optional per-token session index (sessions builder) */
  sessions?: Int32Array;
}

/** Evaluation examples: each customer's history (inputs, all strictly before the target) and one target item. */
export interface EvalSet {
  history: CustomerSequences;
  /** item vocabulary id of the held-out target, one per customer */
  targets: Int32Array;
  /** event-type id of the target, one per customer */
  targetTypes?: Int32Array;
}

/** What `cfm prepare` writes and `loadPrepared(dir)` returns. */
export interface PreparedDataset {
  dataset: string;
  split: 'temporal' | 'loo';
  vocabs: Vocabularies;
  /** per-item attribute ids indexed by item vocabulary id, e.g. itemFeatures.category1[itemId] */
  itemFeatures: Record<string, Int32Array>;
  train: CustomerSequences;
  valid: EvalSet;
  test: EvalSet;
  /** customer labels from the users table (e.g. gender, age), keyed by customer id */
  userLabels?: Record<string, Record<string, string | number>>;
  manifest: Record<string, unknown>;
}

/** A padded batch; row-major [batchSize, maxLen], PAD = 0, most recent token last (left-padded). */
export interface SequenceBatch {
  batchSize: number;
  maxLen: number;
  items: Int32Array;
  types?: Int32Array;
  /** per-token feature ids keyed like PreparedDataset.itemFeatures, same shape as items */
  features?: Record<string, Int32Array>;
  times?: Float64Array;
  customerIds?: string[];
}

/** How a fit runs (not what it trains: epochs, seed and every other training setting belong to the model's
 * config, their one owner). */
export interface FitOptions {
  /** where checkpoints go; fit resumes from the last one found there */
  checkpointDir?: string;
  /** called after each checkpoint is written (e.g. to copy it to an object store, so another worker can resume) */
  onCheckpoint?: () => Promise<void>;
  checkpointEvery?: number;
  onProgress?: (p: { epoch: number; step: number; totalSteps?: number; loss: number; metric?: number; seqPerSec?: number }) => void;
  signal?: AbortSignal;
}

export interface FitReport {
  epochs: number;
  steps: number;
  /** steps restored from a checkpoint rather than trained in this call */
  resumedFromStep?: number;
  bestMetric?: number;
  history: Array<{ epoch: number; loss: number; metric?: number; seconds: number }>;
}

export interface ArtifactManifest {
  family: string;
  config: unknown;
  configHash: string;
  vocabHash: string;
  seed: number;
  metrics?: Record<string, number>;
  /** sha256 of every file in the artifact directory */
  files: Record<string, string>;
  createdAt: string;
}

/** What the score columns of one task index: a vocabulary of the prepared data by name ('item', 'brand',
 * 'category1', ...), or the model's own labels (`tokens`, e.g. ShopperBERT's date parts). Column j is token j;
 * ids below RESERVED_IDS are the reserved tokens and are never exported as predictions. */
export interface TaskOutput {
  vocab: string;
  tokens?: readonly string[];
}

export interface CustomerModel {
  readonly family: string;
  /** the longest history the model reads (its config's maxLen, the one owner): evaluation and export cut
   * histories to it, and prepared data that keeps fewer events per customer is refused */
  readonly maxLen: number;
  fit(data: PreparedDataset, opts?: FitOptions): Promise<FitReport>;
  /** customer vectors, row-major [batchSize, dim] */
  embed(batch: SequenceBatch): Float32Array;
  readonly embeddingDim: number;
  /** scores [batchSize, candidates.length] (or [batchSize, vocab] when candidates is undefined) for a task */
  score(batch: SequenceBatch, task: string, candidates?: Int32Array): Float32Array;
  readonly tasks: string[];
  /** per task, the vocabulary its score columns index (every task in `tasks` has one) */
  readonly taskOutputs: Readonly<Record<string, TaskOutput>>;
  save(dir: string): Promise<ArtifactManifest>;
  dispose(): void;
}

export interface ModelFamily<C = unknown> {
  readonly name: string;
  readonly description: string;
  /** strict schema: paper defaults for every field, unknown keys rejected at every depth */
  readonly config: z.ZodType<C>;
  /** dataset presets: the first key contained in the dataset's name (lower case) applies, between the
   * paper defaults and the user's overrides (resolveRunConfig in @cfm/models) */
  readonly presets?: Readonly<Record<string, Partial<C>>>;
  create(
    config: C,
    data: { vocabs: Vocabularies; itemFeatures: Record<string, Int32Array> },
    inputs?: Record<string, unknown>,
  ): CustomerModel;
  /** inputs `create` reads from a prepared folder besides the vocabularies and item attributes (e.g. ShopperBERT's
   * item title vectors); the pipeline's train step passes them as `create`'s third argument. The artifact keeps
   * them: `load` needs none. */
  inputs?(preparedDir: string, config: C, data: { vocabs: Vocabularies }): Promise<Record<string, unknown>>;
  load(dir: string): Promise<CustomerModel>;
}
