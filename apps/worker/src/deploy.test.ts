// The deployment files agree with the worker code: grace period vs shutdownForceTime, probe port and paths vs the
// health endpoint, the bundle the image builds vs the one the pods load, KEDA's task queues vs the contracts, one
// Temporal address and namespace everywhere (infra/docker, infra/k8s, infra/temporal/values.yaml).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { TASK_QUEUES } from '@cfm/contracts';
import { SHUTDOWN_FORCE_SECONDS } from './worker';
import { probe } from './health';

const root = resolve(__dirname, '..', '..', '..');
const k8s = join(root, 'infra', 'k8s');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed manifests, walked by the assertions (a wrong path fails them)
type Obj = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };
const docs: Obj[] = readdirSync(k8s)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(k8s, f), 'utf8')).map((d) => d.toJS() as Obj))
  .filter(Boolean);
const byName = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)!;
const cpu = byName('Deployment', 'cfm-worker-cpu').spec.template.spec;
const gpu = byName('ScaledJob', 'cfm-worker-gpu').spec.jobTargetRef.template.spec;
const connection = byName('ConfigMap', 'cfm-temporal').data!;
const env = (c: { env?: Array<{ name: string; value?: string }> }, name: string) => c.env?.find((e) => e.name === name)?.value;

describe('deployment files vs the worker', () => {
  it.each([
    ['cpu', cpu],
    ['gpu', gpu],
  ])('%s pods: grace period above shutdownForceTime, probes on the health port', (_q, pod) => {
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(SHUTDOWN_FORCE_SECONDS + 10);
    const c = pod.containers[0];
    const port = c.ports.find((p: { name: string }) => p.name === 'health').containerPort;
    expect(env(c, 'CFM_HEALTH_PORT')).toBe(String(port));
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    // what each probe gets while the worker runs and once it stops
    expect(probe(c.readinessProbe.httpGet.path, 'RUNNING').status).toBe(200);
    expect(probe(c.readinessProbe.httpGet.path, 'STOPPING').status).toBe(503);
    expect(probe(c.livenessProbe.httpGet.path, 'DRAINING').status).toBe(200);
    expect(pod.containers[0].envFrom[0].configMapRef.name).toBe('cfm-temporal');
  });

  it('the cpu pods load the bundle that the image builds; the gpu pods leave when idle', () => {
    const dockerfile = readFileSync(join(root, 'infra', 'docker', 'cpu.Dockerfile'), 'utf8');
    const bundle = dockerfile.match(/CFM_WORKFLOW_BUNDLE=(\S+)/)![1];
    const args: string[] = cpu.containers[0].args;
    expect(args[args.indexOf('--bundle') + 1]).toBe(bundle);
    expect(readFileSync(join(root, 'infra', 'docker', 'provision-image.sh'), 'utf8')).toContain(`--out ${bundle.replace('/app/', '')}`);
    expect(Number(env(gpu.containers[0], 'CFM_EXIT_WHEN_IDLE'))).toBeGreaterThan(0);
    expect(gpu.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
    expect(gpu.tolerations.some((t: { key: string }) => t.key === 'nvidia.com/gpu')).toBe(true);
  });

  it("KEDA scales each task queue of the contracts, at the pods' concurrency, on the Temporal address the pods use", () => {
    const cpuTrigger = byName('ScaledObject', 'cfm-worker-cpu').spec.triggers[0].metadata;
    const gpuTrigger = byName('ScaledJob', 'cfm-worker-gpu').spec.triggers[0].metadata;
    expect([cpuTrigger.taskQueue, gpuTrigger.taskQueue]).toEqual([TASK_QUEUES.cpu, TASK_QUEUES.gpu]);
    const args: string[] = cpu.containers[0].args;
    expect(cpuTrigger.targetQueueSize).toBe(args[args.indexOf('--concurrency') + 1]);
    expect(gpuTrigger.targetQueueSize).toBe('1');
    for (const t of [cpuTrigger, gpuTrigger]) {
      expect(t.endpoint).toBe(connection.TEMPORAL_ADDRESS);
      expect(t.namespace).toBe(connection.TEMPORAL_NAMESPACE);
    }
  });

  it('the Temporal chart values serve that address and namespace', () => {
    const values = parse(readFileSync(join(root, 'infra', 'temporal', 'values.yaml'), 'utf8'));
    const [host, port] = connection.TEMPORAL_ADDRESS.split(':');
    expect(host).toBe('temporal-frontend.temporal.svc.cluster.local');
    expect(String(values.server.frontend.service.port)).toBe(port);
    expect(values.server.config.namespaces.create).toBe(true);
    expect(values.server.config.namespaces.namespace.map((n: { name: string }) => n.name)).toContain(connection.TEMPORAL_NAMESPACE);
  });
});
