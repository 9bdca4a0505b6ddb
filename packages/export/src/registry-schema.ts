/** Tables of the model registry (one .duckdb file). `events` is append-only: the champion and
 * challenger of a (family, use case) are derived by replaying it, so every promotion and roll-back
 * stays on record. */
export const REGISTRY_DDL = [
  `CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, family VARCHAR NOT NULL, use_case VARCHAR NOT NULL, dataset VARCHAR,
    config_hash VARCHAR, data_hash VARCHAR, seed INTEGER, code_version VARCHAR, run_dir VARCHAR,
    status VARCHAR NOT NULL, started_at VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS artifacts (
    artifact_id VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL, family VARCHAR NOT NULL, use_case VARCHAR NOT NULL,
    path VARCHAR NOT NULL, manifest_sha VARCHAR NOT NULL, vocab_hash VARCHAR, created_at VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS metrics (
    run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value DOUBLE NOT NULL, protocol VARCHAR NOT NULL,
    split VARCHAR NOT NULL, higher_is_better BOOLEAN NOT NULL, PRIMARY KEY (run_id, name, split))`,
  `CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, family VARCHAR NOT NULL, use_case VARCHAR NOT NULL, action VARCHAR NOT NULL,
    artifact_id VARCHAR NOT NULL, reason VARCHAR, at_time VARCHAR NOT NULL)`,
];

export interface RunRecord {
  runId: string;
  family: string;
  useCase: string;
  dataset?: string;
  configHash?: string;
  dataHash?: string;
  seed?: number;
  codeVersion?: string;
  runDir?: string;
  status?: string;
}

export interface MetricRecord {
  name: string;
  value: number;
  /** how it was computed, e.g. "loo, full ranking, test" — comparisons refuse mismatched protocols */
  protocol: string;
  split?: string;
  higherIsBetter?: boolean;
}

export interface ArtifactRecord {
  artifactId: string;
  runId: string;
  family: string;
  useCase: string;
  path: string;
  manifestSha: string;
  vocabHash?: string;
  createdAt: string;
}

export type RegistryAction = 'promote' | 'rollback' | 'challenge';

export interface Comparison {
  metric: string;
  protocol: string;
  higherIsBetter: boolean;
  challenger: { runId: string; value: number };
  champion?: { artifactId: string; runId: string; value: number };
  /** challenger − champion (signed so that > 0 is always better) */
  improvement?: number;
  /** true when there is no champion yet or the improvement exceeds minDelta */
  better: boolean;
  reason: string;
}
