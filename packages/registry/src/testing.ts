// A throw-away PostgreSQL server for registry tests (here and in the pipeline / worker tests)
export { startPostgres, postgresSkipReason, postgresRequired, postgresBinDir } from './testing-postgres';
export type { PostgresServer } from './testing-postgres';
