import { fileURLToPath } from 'node:url';
import { Registry } from './registry';
import type { ChampionRegistry } from './registry-api';
import { PgRegistry, type PgRegistryOptions } from './registry-pg';

export type OpenRegistryOptions = PgRegistryOptions & {
  /** DuckDB file: how long to wait while another process holds it */
  waitMs?: number;
};

/** true for a target that names a PostgreSQL database */
export const isPostgresTarget = (target: string) => /^postgres(ql)?:\/\//i.test(target);

/**
 * Opens the champion registry at `target`: a `postgres://` / `postgresql://` URL is a PostgreSQL database (many
 * processes, many machines); anything else (a path or a `file://` URI) is a local DuckDB file, the embedded default
 * (one process at a time).
 */
export async function openRegistry(target: string, o: OpenRegistryOptions = {}): Promise<ChampionRegistry> {
  if (isPostgresTarget(target)) return PgRegistry.open(target, o);
  return Registry.open(target.startsWith('file://') ? fileURLToPath(target) : target, o);
}
