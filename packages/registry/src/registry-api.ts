import type { ArtifactRecord, Comparison, MetricRecord, RegistryAction, RunRecord } from './registry-schema';

export interface RegistryEvent {
  seq: number;
  action: RegistryAction;
  artifactId: string;
  reason: string;
  /** ISO time */
  at: string;
}

export interface PromoteResult {
  /** true when this call made the artifact the champion */
  promoted: boolean;
  reason: string;
  /** the champion after the call */
  champion: string | null;
}

/**
 * The champion registry, whatever stores it: a local DuckDB file (`Registry`, one process at a time) or a
 * PostgreSQL database (`PgRegistry`, any number of processes on any number of machines). `openRegistry(target)`
 * picks one. Every write may be retried: the same run, metrics or artifact registered again, or a promotion /
 * challenge / roll-back that already happened, changes nothing and raises nothing.
 */
export interface ChampionRegistry {
  /** the file, or the database URL without its password */
  readonly target: string;
  close(): void | Promise<void>;

  /** Upsert by run id (a retry with the same id replaces the fields, keeps the first start time). */
  registerRun(run: RunRecord): Promise<void>;
  /** Upsert by (run, name, split), all in one transaction. */
  recordMetrics(runId: string, metrics: MetricRecord[]): Promise<void>;
  /** Register a saved artifact directory (verified first); its id is the run id + manifest hash, so registering
   * the same directory again returns the same record. */
  /** verifies the artifact in the local folder `dir`; records `location` (e.g. its object-store URI) as its path, default `dir` */
  registerArtifact(runId: string, dir: string, o?: { location?: string }): Promise<ArtifactRecord>;
  artifact(artifactId: string): Promise<ArtifactRecord>;
  metrics(runId: string): Promise<Required<MetricRecord>[]>;

  /** Mark an artifact as the challenger of its (family, use case); nothing happens when it already is. */
  setChallenger(artifactId: string, reason?: string): Promise<void>;
  /** Make an artifact the champion (the previous one stays on the roll-back stack); nothing happens when it
   * already is the champion. */
  promote(artifactId: string, reason?: string): Promise<void>;
  /** Compare-and-promote: makes `artifactId` the champion only if the champion is still `expected` (the one the
   * gate compared against; null: none), atomically. Of several challengers gated against the same champion
   * exactly one wins. When `artifactId` already is the champion (a retried call, or another caller promoted the
   * same artifact) nothing is appended: `promoted: false`, "already the champion", `champion` = `artifactId`. */
  promoteIf(artifactId: string, expected: string | null, reason?: string): Promise<PromoteResult>;
  /** Restore the champion that preceded the current one; returns it. With `expected`, only while the champion is
   * still `expected` (compare-and-roll-back): a retry after the roll-back happened returns the restored champion
   * again, another change in between is refused (CFM_E_STATE). */
  rollback(family: string, useCase: string, reason?: string, opts?: { expected?: string }): Promise<string>;

  champion(family: string, useCase: string): Promise<ArtifactRecord | undefined>;
  challenger(family: string, useCase: string): Promise<ArtifactRecord | undefined>;
  history(family: string, useCase: string): Promise<RegistryEvent[]>;
  /** The promotion gate: does run `runId` beat the champion of its (family, use case) on `metric`? */
  compareWithChampion(runId: string, metric: string, opts?: { split?: string; minDelta?: number }): Promise<Comparison>;
}
