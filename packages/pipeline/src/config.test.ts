import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, resolveRunConfig } from './config';

const base = { name: 'demo', dataset: { source: 'simulator' }, families: [{ name: 'bert4rec' }] };

describe('run config', () => {
  it('fills documented defaults and resolves paths', () => {
    const s = resolveRunConfig(base, { baseDir: '/repo', env: { CFM_DATA_DIR: '/data' } });
    expect(s.workDir).toBe('/repo/runs/demo');
    expect(s.dataDir).toBe('/data');
    expect(s.split).toEqual({ kind: 'temporal' });
    expect(s.dataset).toMatchObject({ source: 'simulator', customers: 400 });
    expect(s.families[0]).toMatchObject({ epochs: 1, checkpointEvery: 50, config: {} });
    expect(s.gate).toEqual({ metric: 'ndcg@10', minDelta: 0 });
  });
  it('names an unknown key with its path and the file', () => {
    const bad = { ...base, families: [{ name: 'bert4rec', epoch: 3 }] };
    expect(() => resolveRunConfig(bad, { file: 'run.yaml' })).toThrow('[CFM_E_CONFIG] run.yaml field "families.0.epoch": unknown key "epoch"');
  });
  it('names a bad value and the valid range', () => {
    expect(() => resolveRunConfig({ ...base, maxLen: 1 })).toThrow(/field "maxLen".*>=2/);
    expect(() => resolveRunConfig({ ...base, dataset: { source: 'ftp' } })).toThrow(/field "dataset.source"/);
    expect(() => resolveRunConfig({ ...base, split: { kind: 'temporal', validFrom: '2024-02-01', testFrom: '2024-01-01' } }))
      .toThrow(/field "split.testFrom": validFrom must be before testFrom/);
    expect(() => resolveRunConfig({ ...base, families: [] })).toThrow(/at least one family/);
  });
  it('reads YAML files and reports a syntax error with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-cfg-'));
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'name: y\ndataset: { source: dataset, name: movielens-100k }\nfamilies:\n  - name: bert4rec\n    epochs: 2\n');
    expect(loadRunConfig(ok).families[0].epochs).toBe(2);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: y\nfamilies: [\n');
    expect(() => loadRunConfig(broken)).toThrow(/broken.yaml:\d+: not valid YAML/);
    expect(() => loadRunConfig(join(dir, 'missing.yaml'))).toThrow(/CFM_E_FILE/);
  });
});
