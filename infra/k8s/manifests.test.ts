// infra/k8s validated offline by k8s-validate (validate/main.go: strict decoding into k8s.io/api's types and KEDA's
// fields, then cross-document checks), and every kind of mistake it must catch.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
const bin = join(root, 'tools', 'k8s-validate', 'k8s-validate');
const manifests = readdirSync(__dirname).filter((f) => f.endsWith('.yaml'));

beforeAll(() => {
  execFileSync('bash', [join(__dirname, 'validate', 'build.sh')], { stdio: 'pipe' });
  expect(existsSync(bin)).toBe(true);
});

const validate = (dir: string) => spawnSync(bin, [dir], { encoding: 'utf8' });

/** infra/k8s copied with one file changed by `from` -> `to` (the text must be there) */
function altered(file: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfm-k8s-'));
  for (const f of manifests) copyFileSync(join(__dirname, f), join(dir, f));
  const text = readFileSync(join(dir, file), 'utf8');
  expect(text).toContain(from);
  writeFileSync(join(dir, file), text.replace(from, to));
  return dir;
}

describe('infra/k8s manifests', () => {
  it('pass the strict schema check, every document of every file', () => {
    const r = validate(__dirname);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of manifests) expect(r.stdout).toContain(`ok   ${join(__dirname, f)}:`);
    expect(r.stdout).toMatch(/k8s-validate: \d+ documents in \d+ files, 0 problems/);
  });

  it.each([
    [
      'worker-cpu.yaml',
      'terminationGracePeriodSeconds: 150',
      'terminationGracePeriodSecond: 150',
      'unknown field "spec.template.spec.terminationGracePeriodSecond"',
    ],
    ['worker-cpu.yaml', 'readinessProbe:', 'readynessProbe:', 'unknown field "spec.template.spec.containers[0].readynessProbe"'],
    ['worker-cpu.yaml', 'memory: 16Gi', 'memory: 16GBytes', 'quantities must match the regular expression'],
    ['worker-cpu.yaml', 'terminationGracePeriodSeconds: 150', 'terminationGracePeriodSeconds: "150"', 'terminationGracePeriodSeconds'],
    ['worker-gpu.yaml', 'backoffLimit: 0', 'backofLimit: 0', 'unknown field "backofLimit"'],
    ['worker-gpu.yaml', 'nvidia.com/gpu: 1, ephemeral', 'nvidia.com/gpu: one, ephemeral', 'quantities must match'],
    ['scaling.yaml', 'minReplicaCount: 1', 'minReplicas: 1', 'unknown field "minReplicas"'],
    ['scaling.yaml', 'taskQueue: cfm-cpu', 'taskqueue: cfm-cpu', 'unknown temporal scaler parameter(s) taskqueue'],
    [
      'scaling.yaml',
      'scaleTargetRef: { name: cfm-worker-cpu }',
      'scaleTargetRef: { name: cfm-worker }',
      'no Deployment cfm-worker among the manifests',
    ],
    ['scaling.yaml', '{ parameter: apiKey,', '{ parameter: apikey,', null],
    ['pdb.yaml', 'maxUnavailable: 1', 'maxUnavailabel: 1', 'unknown field "spec.maxUnavailabel"'],
    ['pdb.yaml', 'cfm/queue: cpu }', 'cfm/queue: cpuu }', 'spec.selector selects no Deployment'],
    [
      'worker-cpu.yaml',
      'port: health }\n            periodSeconds: 20',
      'port: helth }\n            periodSeconds: 20',
      'livenessProbe.httpGet.port helth is not one of its ports',
    ],
    ['scheduler.yaml', 'restartPolicy: OnFailure', 'restartPolicy: Always', 'restartPolicy must be Never or OnFailure'],
    ['temporal-connection.yaml', 'kind: ConfigMap', 'kind: ConfigMapp', 'no kind "ConfigMapp" is registered'],
  ] as const)('%s: "%s" -> "%s" is refused', (file, from, to, expected) => {
    const r = validate(altered(file, from, to));
    if (expected === null) {
      // an unreferenced TriggerAuthentication's parameters are the scaler's business only once a trigger uses it:
      // reference it from the cpu trigger and the misspelt parameter is refused
      const dir = altered(file, from, to);
      const f = join(dir, 'scaling.yaml');
      writeFileSync(
        f,
        readFileSync(f, 'utf8').replace(
          '# with TLS / an API key on the frontend: authenticationRef: { name: cfm-temporal }',
          'authenticationRef: { name: cfm-temporal }',
        ),
      );
      const rr = validate(dir);
      expect(rr.status).toBe(1);
      expect(rr.stdout).toContain('secretTargetRef[3].parameter "apikey" is not a temporal scaler parameter');
      return;
    }
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toContain(expected);
    expect(r.stdout).toMatch(/k8s-validate: \d+ documents in \d+ files, [1-9]\d* problems?/);
  });

  it('the TriggerAuthentication, referenced from a trigger, passes as written', () => {
    const dir = altered(
      'scaling.yaml',
      '# with TLS / an API key on the frontend: authenticationRef: { name: cfm-temporal }',
      'authenticationRef: { name: cfm-temporal }',
    );
    const r = validate(dir);
    expect(r.status, r.stdout).toBe(0);
  });

  it('no volume claims: the workers share nothing but Temporal and the object store', () => {
    for (const f of manifests) expect(readFileSync(join(__dirname, f), 'utf8')).not.toMatch(/PersistentVolumeClaim|persistentVolumeClaim/);
  });
});
