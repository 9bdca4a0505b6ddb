import { withSource } from '../vitest.base';

// The deployment checks (npm test runs them as the `test` target of the nx project `infra`): the worker images'
// provisioning run the way the images run it (docker/image.test.ts) and the manifests' schema check (k8s/manifests.test.ts).
export default withSource({
  test: { include: ['**/*.test.ts'], fileParallelism: false, testTimeout: 600_000, hookTimeout: 600_000 },
});
