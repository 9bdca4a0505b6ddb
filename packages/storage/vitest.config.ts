import { withSource } from '../../vitest.base';

// the S3 tests start a SeaweedFS server (a few seconds on two busy cores)
export default withSource({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
