import { withSource } from '../../vitest.base';

// Unit tests (src/) and the Temporal integration suite (test/, real dev server): one file at a time,
// since each starts its own server and workers.
export default withSource({
  test: { include: ['src/**/*.test.ts', 'test/**/*.int.test.ts'], fileParallelism: false, testTimeout: 300_000, hookTimeout: 300_000 },
});
