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

/** The same tables in PostgreSQL (`PgRegistry`): times are timestamptz, an event's seq comes from an identity
 * column and its time from the server's clock; rows refer to their run / artifact. Created by the first process
 * that opens the database (under an advisory lock, so that processes opening at once do not collide). */
export const PG_REGISTRY_DDL = [
  `CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, family TEXT NOT NULL, use_case TEXT NOT NULL, dataset TEXT,
    config_hash TEXT, data_hash TEXT, seed INTEGER, code_version TEXT, run_dir TEXT,
    status TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS artifacts (
    artifact_id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs, family TEXT NOT NULL, use_case TEXT NOT NULL,
    path TEXT NOT NULL, manifest_sha TEXT NOT NULL, vocab_hash TEXT, created_at TIMESTAMPTZ NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs, name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, protocol TEXT NOT NULL,
    split TEXT NOT NULL, higher_is_better BOOLEAN NOT NULL, PRIMARY KEY (run_id, name, split))`,
  `CREATE TABLE IF NOT EXISTS events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, family TEXT NOT NULL, use_case TEXT NOT NULL, action TEXT NOT NULL,
    artifact_id TEXT NOT NULL REFERENCES artifacts, reason TEXT, at_time TIMESTAMPTZ NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS events_by_line ON events (family, use_case, seq)`,
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
