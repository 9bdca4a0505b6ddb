// The worker images, checked without a container engine: ci-check.sh runs provision-image.sh the way the
// Dockerfiles do (infra/docker/ci-check.sh says what it runs and reuses).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
/** runs bash without blocking the test worker (a long synchronous child starves vitest's own messages) */
const sh = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const p = spawn('bash', args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => done({ status, stdout, stderr }));
  });

describe('worker images', () => {
  it('provision-image.sh cpu runs every step into a scratch tree and the gpu plan holds', async () => {
    const r = await sh(['infra/docker/ci-check.sh']);
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    for (const step of [
      'infra/tfjs-native/provision.sh',
      'infra/native-kernels/provision.sh',
      'infra/native-data/provision.sh',
      'infra/xgboost/provision.sh',
      'workflows/scripts/bundle.ts',
    ]) {
      expect(out).toContain(`[image cpu`);
      expect(out).toContain(step);
    }
    expect(out).toContain('$ bash infra/tfjs-native/provision.sh --gpu');
    expect(out).toMatch(
      /verify: native TensorFlow \(@tensorflow\/tfjs-node\), kernels, data scan, libxgboost and the workflow bundle load/,
    );
    expect(out).toMatch(/image-check: ok \(\d+s\)/);
  });

  it('a Dockerfile RUN that bypasses provision-image.sh fails the check, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-dockerfiles-'));
    cpSync(join(root, 'infra', 'docker'), dir, { recursive: true });
    const f = join(dir, 'gpu.Dockerfile');
    writeFileSync(f, readFileSync(f, 'utf8').replace('WORKDIR /app\nCOPY . .', 'WORKDIR /app\nRUN apt-get install -y curl\nCOPY . .'));
    const r = await sh(['infra/docker/ci-check.sh'], { CFM_DOCKER_DIR: dir, CFM_IMAGE_CHECK_STATIC: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a RUN step that is not provision-image.sh gpu: RUN apt-get install -y curl');
    const ok = await sh(['infra/docker/ci-check.sh'], { CFM_DOCKER_DIR: join(root, 'infra', 'docker'), CFM_IMAGE_CHECK_STATIC: '1' });
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('provision-image.sh refuses an unknown variant or step', async () => {
    expect((await sh(['infra/docker/provision-image.sh', 'tpu'])).status).toBe(2);
    const r = await sh(['infra/docker/provision-image.sh', 'cpu', '--plan'], { CFM_IMAGE_STEPS: 'system kernals' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown step kernals');
  });
});
