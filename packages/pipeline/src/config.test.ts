import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadRunConfig, resolveRunSpec } from './config';

const base = { name: 'demo', dataset: { source: 'simulator' }, families: [{ name: 'bert4rec' }] };

describe('run config', () => {
  it('fills documented defaults, resolves paths and every family config', () => {
    vi.stubEnv('CFM_DATA_DIR', '/data');
    const s = resolveRunSpec(base, { baseDir: '/repo' });
    vi.unstubAllEnvs();
    expect(s.workDir).toBe('/repo/runs/demo');
    // not frozen from the client's environment: each worker uses its own CFM_DATA_DIR
    expect(s.dataDir).toBeUndefined();
    expect(resolveRunSpec({ ...base, dataDir: 'shared' }, { baseDir: '/repo' }).dataDir).toBe('/repo/shared');
    expect(resolveRunSpec({ ...base, workDir: 's3://bucket/runs/x/' }).workDir).toBe('s3://bucket/runs/x');
    expect(s.prepare).toEqual({ split: { kind: 'temporal' }, maxSeqLen: 5000, shards: 1 });
    expect(s.dataset).toMatchObject({ source: 'simulator', customers: 400 });
    expect(s.datasetName).toBe('simulator');
    expect(s.seeds).toEqual([42]);
    // the family config is explicit: paper defaults, training seed = the run's
    expect(s.families[0]).toMatchObject({ id: 'bert4rec', name: 'bert4rec', checkpointEvery: 200, preset: null });
    expect(s.families[0].config).toMatchObject({ maxLen: 50, dModel: 64, epochs: 20, seed: 42, lr: 1e-4 });
    expect(s.evaluate).toEqual([
      { protocol: 'full', negatives: 100, sampling: 'uniform', ks: [10], excludeHistory: true, seeds: [0], split: 'test' },
    ]);
    expect(s.gate).toEqual({ metric: 'ndcg@10', protocol: 0, minDelta: 0, benchmarks: [] });
  });
  it("applies the dataset's preset and its published split under the file's overrides", () => {
    const s = resolveRunSpec({
      ...base,
      dataset: { source: 'dataset', name: 'movielens-1m' },
      families: [{ name: 'bert4rec', config: { maskProb: 0.3 } }],
    });
    expect(s.prepare.split).toEqual({ kind: 'loo' });
    expect(s.families[0].preset).toBe('movielens-1m');
    expect(s.families[0].config).toMatchObject({ maxLen: 200, maskProb: 0.3 });
  });
  it('trains every seed and gives each family entry its own id', () => {
    const s = resolveRunSpec({
      ...base,
      seeds: [1, 2, 3],
      families: [
        { name: 'mcm', id: 'MCM_Single', config: { variant: 'MCM_Single' } },
        { name: 'mcm', id: 'MCM_Final' },
      ],
    });
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(s.families.map((f) => [f.id, f.config.variant, f.config.seed])).toEqual([
      ['MCM_Single', 'MCM_Single', 1],
      ['MCM_Final', 'MCM_Final', 1],
    ]);
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'mcm' }, { name: 'mcm' }] })).toThrow(
      /field "families.1.id": "mcm" is used twice/,
    );
  });
  it('names an unknown key with its path and the file, at every depth', () => {
    const bad = { ...base, families: [{ name: 'bert4rec', epoch: 3 }] };
    expect(() => resolveRunSpec(bad, { file: 'run.yaml' })).toThrow(
      '[CFM_E_CONFIG] run.yaml field "families.0.epoch": unknown key "epoch"',
    );
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'bert4rec', epochs: 3 }] })).toThrow(
      /unknown key "epochs" \(training settings go under config:/,
    );
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'bert4rec', config: { dmodel: 64 } }] })).toThrow(
      'field "families.0.config.dmodel": unknown key "dmodel"',
    );
    expect(() => resolveRunSpec({ ...base, maxLen: 50 })).toThrow(/unknown key "maxLen" \(a model's maxLen is part of its config/);
    expect(() => resolveRunSpec({ ...base, evaluate: { protocol: 'full', negative: 9 } })).toThrow(/field "evaluate.negative"/);
  });
  it('names a bad value and the valid range', () => {
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'bert4rec', config: { epochs: 0 } }] })).toThrow(
      /field "families.0.config.epochs".*>=1|field "families.0.config.epochs"/,
    );
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'bert4rec', config: { epochs: 'abc' } }] })).toThrow(
      /field "families.0.config.epochs"/,
    );
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'bert4rec', config: { seed: 3 } }] })).toThrow(
      /field "families.0.config.seed": training seeds are set once/,
    );
    expect(() => resolveRunSpec({ ...base, dataset: { source: 'ftp' } })).toThrow(/field "dataset.source"/);
    expect(() => resolveRunSpec({ ...base, split: { kind: 'temporal', validFrom: '2024-02-01', testFrom: '2024-01-01' } })).toThrow(
      /field "split.testFrom": validFrom must be before testFrom/,
    );
    expect(() => resolveRunSpec({ ...base, families: [] })).toThrow(/at least one family/);
    expect(() => resolveRunSpec({ ...base, families: [{ name: 'nope' }] })).toThrow(/unknown model family "nope"/);
    expect(() => resolveRunSpec({ ...base, gate: { protocol: 1 } })).toThrow(/field "gate.protocol": index 1 but evaluate has 1/);
    expect(() => resolveRunSpec({ ...base, benchmarks: [{ task: 'label', field: 'age' }] })).toThrow(/give exactly one of positive/);
    expect(() => resolveRunSpec({ ...base, gate: { benchmarks: [{ result: 'x/U-MLP/auroc', min: 0.5 }] } })).toThrow(
      /no benchmark named "x"/,
    );
  });
  it('refuses a family whose maxLen does not fit the events kept per customer', () => {
    expect(() => resolveRunSpec({ ...base, prepare: { maxSeqLen: 30 } })).toThrow(
      /field "families.0.config.maxLen": bert4rec reads 50 events per customer but the prepared data keeps 30/,
    );
  });
  it('fills benchmark defaults and names', () => {
    const s = resolveRunSpec({
      ...base,
      seed: 7,
      benchmarks: [{ task: 'label', field: 'segment', positive: ['vip'] }, { task: 'next-item' }, { task: 'targeting' }],
    });
    expect(s.benchmarks.map((b) => b.name)).toEqual(['label-segment', 'next-item', 'targeting-category1']);
    expect(s.benchmarks[0]).toMatchObject({ seed: 7, split: [0.8, 0.1, 0.1], repeats: 1, epochs: 10 });
    expect(s.benchmarks[2]).toMatchObject({ feature: 'category1', value: 'most-common', window: 5 });
  });
  it("checks a finetune task's settings against FineTuneConfig when the config is read", () => {
    const ft = (finetune: Record<string, unknown>) => ({
      ...base,
      benchmarks: [{ task: 'finetune', field: 'age', threshold: 35, epochs: 4, finetune }],
    });
    const s = resolveRunSpec(ft({ encoderLrScale: 0.2, headWarmupEpochs: 2 }));
    expect(s.benchmarks[0]).toMatchObject({ task: 'finetune', epochs: 4, finetune: { encoderLrScale: 0.2, headWarmupEpochs: 2 } });
    expect(() => resolveRunSpec(ft({ lrEncoder: 0.2 }))).toThrow(/benchmarks\.0\.finetune\.lrEncoder.*not a FineTuneConfig setting/);
    expect(() => resolveRunSpec(ft({ encoderLrScale: 2 }))).toThrow(/finetune\.encoderLrScale/);
    expect(() => resolveRunSpec(ft({ headWarmupEpochs: 4 }))).toThrow(/headWarmupEpochs 4 >= epochs 4/);
    expect(() => resolveRunSpec(ft({ epochs: 9 }))).toThrow(/epochs is the task's/);
  });
  it('uses a prepared folder as it is: its dataset name, split and maxSeqLen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-prep-'));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ dataset: 's3rec-beauty', split: 'loo', config: { maxSeqLen: 100 }, dataHash: 'd', configHash: 'c' }),
    );
    const s = resolveRunSpec({ ...base, dataset: { source: 'prepared', path: dir } });
    expect(s.datasetName).toBe('s3rec-beauty');
    expect(s.prepare).toEqual({ split: { kind: 'loo' }, maxSeqLen: 100, shards: 1 });
    expect(s.families[0].preset).toBe('beauty');
    expect(() => resolveRunSpec({ ...base, dataset: { source: 'prepared', path: dir }, split: { kind: 'temporal' } })).toThrow(
      /keeps its own split/,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => resolveRunSpec({ ...base, dataset: { source: 'prepared', path: empty } })).toThrow(
      /CFM_E_FILE.*not a prepared data folder/,
    );
  });
  it('reads YAML files and reports a syntax error with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfm-cfg-'));
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'name: y\ndataset: { source: simulator }\nfamilies:\n  - name: bert4rec\n    config: { epochs: 2 }\n');
    expect(loadRunConfig(ok).families[0].config.epochs).toBe(2);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: y\nfamilies: [\n');
    expect(() => loadRunConfig(broken)).toThrow(/broken.yaml:\d+: not valid YAML/);
    expect(() => loadRunConfig(join(dir, 'missing.yaml'))).toThrow(/CFM_E_FILE/);
  });
});
