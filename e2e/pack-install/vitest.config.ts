import { withSource } from '../../vitest.base';

// npm pack + npm install (from the npm cache) + a few training steps on two shared cores
export default withSource({ test: { testTimeout: 300_000, hookTimeout: 300_000 } });
