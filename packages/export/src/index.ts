// Parquet export (DuckDB, atomic temp + rename)
export { ParquetSink } from './parquet-sink';
export type { ColumnType, SinkColumn, ColumnData, SinkResult } from './parquet-sink';
export { openCustomerEmbeddings, writeCustomerEmbeddings, writeItemEmbeddings, openTopKScores, appendTopK, topK } from './writers';
export type { ExportMeta } from './writers';
export { writeAtomic, tempPathFor } from './atomic';
// Model artifacts: manifest with provenance + sha256 of every file, verified on load
export {
  MANIFEST_FILE,
  Provenance,
  ExportManifest,
  hashFiles,
  codeVersion,
  finalizeArtifact,
  saveArtifact,
  readManifest,
  verifyArtifact,
} from './artifact';
export type { VerifyOptions } from './artifact';
export { parquetStats } from './inspect';
