import { defineConfig } from 'vitest/config';

// Unit tests (src/) and the Temporal integration suite (test/, real dev server): one file at a time,
// since each starts its own server and workers.
export default defineConfig({
  test: { include: ['src/**/*.test.ts', 'test/**/*.int.test.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 },
});
