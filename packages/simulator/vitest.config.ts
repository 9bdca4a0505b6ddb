import { defineConfig } from 'vitest/config';

// The shared CI box is often oversubscribed: allow slow runs rather than flaky timeouts.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
