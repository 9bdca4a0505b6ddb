import { defineConfig } from 'vitest/config';

// the S3 tests start a SeaweedFS server (a few seconds on two busy cores)
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
