// Parquet export (DuckDB, atomic temp + rename)
export { ParquetSink } from './parquet-sink';
export type { ColumnType, SinkColumn, ColumnData, SinkResult } from './parquet-sink';
export {
  openCustomerEmbeddings, writeCustomerEmbeddings, writeItemEmbeddings, openTopKScores, appendTopK, topK,
} from './writers';
export type { ExportMeta } from './writers';
export { writeAtomic, tempPathFor } from './atomic';
// Model artifacts: manifest with provenance + sha256 of every file, verified on load
export {
  MANIFEST_FILE, Provenance, ExportManifest, hashFiles, codeVersion, finalizeArtifact, saveArtifact, readManifest, verifyArtifact,
} from './artifact';
export type { VerifyOptions } from './artifact';
// Registry: runs, artifacts, metrics, champion / challenger, promotion gate; a DuckDB file (one process) or
// PostgreSQL (many processes, many machines) behind one interface, picked by openRegistry(target)
export { Registry } from './registry';
export { PgRegistry } from './registry-pg';
export type { PgRegistryOptions } from './registry-pg';
export { openRegistry, isPostgresTarget } from './open-registry';
export type { OpenRegistryOptions } from './open-registry';
export type { ChampionRegistry, RegistryEvent, PromoteResult } from './registry-api';
export type { RunRecord, MetricRecord, ArtifactRecord, RegistryAction, Comparison } from './registry-schema';
export { parquetStats } from './inspect';
