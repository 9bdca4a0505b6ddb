// The champion registry: runs, artifacts, metrics, champion / challenger, promotion gate; a DuckDB file (one process) or
// PostgreSQL (many processes, many machines) behind one interface, picked by openRegistry(target)
export { Registry } from './registry';
export { PgRegistry } from './registry-pg';
export type { PgRegistryOptions } from './registry-pg';
export { openRegistry, isPostgresTarget } from './open-registry';
export type { OpenRegistryOptions } from './open-registry';
export type { ChampionRegistry, RegistryEvent, PromoteResult } from './registry-api';
export type { RunRecord, MetricRecord, ArtifactRecord, RegistryAction, Comparison } from './registry-schema';
