/** A fully resolved run: what `cfm run --config run.yaml` validates (zod, in @cfm/pipeline) and what
 * the workflows receive. Plain JSON, every default already applied. */

/** Where the events come from. */
export type DatasetSpec =
  /** synthetic e-commerce logs from @cfm/simulator (the embedded default: needs no files) */
  | { source: 'simulator'; customers: number; items: number; days: number; startDate: string }
  /** a public dataset adapter by name (e.g. 's3rec-beauty', 'movielens-100k') read from dataDir */
  | { source: 'dataset'; name: string; maxCustomers?: number }
  /** a folder of contract files (events.csv|parquet|jsonl, items.csv, users.csv) */
  | { source: 'files'; path: string };

export type SplitSpec =
  /** global cut-offs: train < validFrom <= valid < testFrom <= test (ISO dates, UTC); when absent,
   * the 80 % / 90 % quantiles of event time */
  | { kind: 'temporal'; validFrom?: string; testFrom?: string }
  /** customer-disjoint train / valid / test customers */
  | { kind: 'customer' }
  /** leave-one-out (BERT4Rec / S3-Rec protocol): last item = test, second to last = valid */
  | { kind: 'loo' };

export interface FamilySpec {
  /** registry name, e.g. 'bert4rec' */
  name: string;
  /** family config (validated by the family's own zod schema in the train step) */
  config: Record<string, unknown>;
  epochs: number;
  /** checkpoint every N optimizer steps; a retried training resumes from the last one */
  checkpointEvery: number;
}

export interface EvaluateSpec {
  /** 'full' ranks every item; 'sampled' ranks the target among `negatives` sampled items */
  protocol: 'full' | 'sampled';
  negatives: number;
  sampling: 'uniform' | 'popularity';
  ks: number[];
  /** drop the customer's history items from the candidates (full ranking only) */
  excludeHistory: boolean;
}

export interface GateSpec {
  /** metric name as written by the evaluate step, e.g. 'ndcg@10' */
  metric: string;
  /** the challenger must beat the champion by at least this much (absolute) */
  minDelta: number;
}

export interface RunSpec {
  name: string;
  seed: number;
  /** absolute directory for every output of the run (cache, prepared data, artifacts, exports) */
  workDir: string;
  /** absolute directory of the public datasets (CFM_DATA_DIR) */
  dataDir: string;
  dataset: DatasetSpec;
  split: SplitSpec;
  /** max sequence length kept per customer */
  maxLen: number;
  families: FamilySpec[];
  evaluate: EvaluateSpec;
  /** downstream benchmark task names (empty: none) */
  benchmarks: string[];
  gate: GateSpec;
  export: { topK: number };
  /** promote the challenger when it passes the gate */
  promote: boolean;
}
