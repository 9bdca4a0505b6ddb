/** A fully resolved run: what `cfm run --config run.yaml` and `cfm train` build (zod, in @cfm/pipeline) and
 * what the workflows receive. Plain JSON, every default already applied, every family config explicit. */

/** Where the events come from. */
export type DatasetSpec =
  /** synthetic e-commerce logs from @cfm/simulator (the embedded default: needs no files) */
  | { source: 'simulator'; customers: number; items: number; days: number; startDate: string }
  /** a public dataset adapter by name (e.g. 's3rec-beauty', 'movielens-1m') read from dataDir */
  | { source: 'dataset'; name: string; maxCustomers?: number }
  /** a folder of contract files (events.csv|parquet|jsonl, items.csv, users.csv) */
  | { source: 'files'; path: string }
  /** a folder `cfm prepare` wrote (manifest.json): used as it is, its own split and settings */
  | { source: 'prepared'; path: string };

export type SplitSpec =
  /** global cut-offs: train < validFrom <= valid < testFrom <= test (ISO dates, UTC); when absent,
   * the 80 % / 90 % quantiles of event time */
  | { kind: 'temporal'; validFrom?: string; testFrom?: string }
  /** customer-disjoint train / valid / test customers */
  | { kind: 'customer' }
  /** leave-one-out (BERT4Rec / S3-Rec protocol): last item = test, second to last = valid */
  | { kind: 'loo' };

/** Data-prep settings of a run (the rest are @cfm/data's documented defaults). */
export interface PrepareSpec {
  split: SplitSpec;
  /** most recent events kept per customer; every family's maxLen must fit in it */
  maxSeqLen: number;
  /** customer-hash shards the prep fans out over as parallel activities (1: one prepare activity); the output equals
   * the single prep's */
  shards: number;
}

export interface FamilySpec {
  /** unique in the run: names the plan nodes and output folders (default: the family name) */
  id: string;
  /** registry name, e.g. 'bert4rec' */
  name: string;
  /** the resolved config (resolveRunConfig of @cfm/models): every field explicit, seed = the run's first
   * training seed; a plan node of another seed replaces only `seed` */
  config: Record<string, unknown>;
  /** the preset that applied, for the record */
  preset: string | null;
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
  /** negative-sampling seeds (sampled protocol: metrics are averaged over them; full ranking ignores them) */
  seeds: number[];
  split: 'test' | 'valid';
  /** the task head to rank (default the family's first: next item); an attribute head ranks that attribute's
   * vocabulary; families without the task skip the entry */
  task?: string;
}

/** Fields every downstream benchmark task shares. */
interface BenchmarkBase {
  /** unique in the run; default derived from the task (e.g. 'label-gender') */
  name: string;
  /** seed of the customer-disjoint split and of the heads (the split of repeat r uses seed + r) */
  seed: number;
  /** train / valid / test shares of the task's customers */
  split: [number, number, number];
  /** independent splits + heads; metrics are mean ± std over them */
  repeats: number;
  /** epochs of the heads trained on the frozen vectors (and of fine-tuning) */
  epochs: number;
}
/** A binary customer label from the users table: `positive` values count as 1 (or value >= `threshold`). */
export interface LabelRule {
  field: string;
  positive?: Array<string | number>;
  threshold?: number;
}
export type BenchmarkSpec =
  /** user-label classification on frozen embeddings: the U-MLP and XGBoost on the same vectors (AUROC, F1) */
  | (BenchmarkBase & LabelRule & { task: 'label' })
  /** will the customer's next `window` purchases include an item with `feature` = `value` (history cut before the window);
   * value 'most-common' picks the feature value most often bought */
  | (BenchmarkBase & { task: 'targeting'; feature: string; value: string; window: number })
  /** next item with a frozen user tower and a trained item tower: HR / NDCG@k against `negatives` sampled items,
   * overall and for the cold (short-history) and heavy (long-history) thirds */
  | (BenchmarkBase & { task: 'next-item'; negatives: number })
  /** the pre-trained encoder with a new head, fine-tuned end to end, against the frozen encoder with the same head
   * (and their compute cost: ms per batch, parameters trained) on a label task */
  | (BenchmarkBase &
      LabelRule & {
        task: 'finetune';
        /** FineTuneConfig settings (@cfm/tensor) over the benchmark's head, e.g. { encoderLrScale: 1 }; checked when the
         * run config is read; epochs and seed are the task's */
        finetune?: Record<string, unknown>;
      });
export type BenchmarkTask = BenchmarkSpec['task'];

export interface GateSpec {
  /** metric name as written by the evaluate step, e.g. 'ndcg@10' */
  metric: string;
  /** which `evaluate` entry the metric is read from (index; default 0, the first) */
  protocol: number;
  /** the challenger must beat the champion by at least this much (absolute) */
  minDelta: number;
  /** downstream results the challenger must reach as well: `<task>/<model>/<metric>` >= min */
  benchmarks: Array<{ result: string; min: number }>;
}

export interface RunSpec {
  name: string;
  /** seed of data prep and the simulator */
  seed: number;
  /** training seeds: every family is trained once per seed (gate, export and promotion use the first) */
  seeds: number[];
  /** where every output of the run goes (cache, prepared data, models, exports, report): an absolute folder, or an
   * object-store URI (s3://bucket/prefix) each worker resolves with its own credentials */
  workDir: string;
  /** the public datasets' folder when the run config names one; otherwise each worker's own (CFM_DATA_DIR) */
  dataDir?: string;
  dataset: DatasetSpec;
  /** the dataset's name as the families' presets see it */
  datasetName: string;
  prepare: PrepareSpec;
  families: FamilySpec[];
  /** ranking protocols, in order; the first is the one the gate reads unless gate.protocol says otherwise */
  evaluate: EvaluateSpec[];
  /** downstream benchmark tasks (empty: none) */
  benchmarks: BenchmarkSpec[];
  gate: GateSpec;
  export: { topK: number };
  /** promote the challenger when it passes the gate */
  promote: boolean;
  /** published numbers a suite is checked against (results pages) */
  targets: TargetSpec[];
}

/** `<family id> <evaluate index or benchmark result> <metric> >= min`, with where the number comes from */
export interface TargetSpec {
  family: string;
  /** 'evaluate:<index>' or 'benchmark:<task>/<model>' */
  from: string;
  metric: string;
  /** mean over seeds must reach this */
  min: number;
  source: string;
}
