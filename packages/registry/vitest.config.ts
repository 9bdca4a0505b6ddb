import { withSource } from '../../vitest.base';

// DuckDB files and throw-away PostgreSQL servers on a shared 2-core machine can take well over vitest's 5 s default.
export default withSource({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
