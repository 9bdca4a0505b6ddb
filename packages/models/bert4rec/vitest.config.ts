import { withSource } from '../../../vitest.base';

// TF.js tests share two cores with training jobs: allow slow steps rather than flaky timeouts.
export default withSource({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
