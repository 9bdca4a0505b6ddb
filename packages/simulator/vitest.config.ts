import { withSource } from '../../vitest.base';

// The shared CI box is often oversubscribed: allow slow runs rather than flaky timeouts.
export default withSource({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
