/** One implementation of train and evaluate: `cfm train` + `cfm eval` and `cfm run` with the same resolved config
 * and seed give the same artifact (content hash) and the same metrics. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { Command } from 'commander';
import { writeSimulation } from '@cfm/simulator';
import { initTestBackend } from '@cfm/tensor/testing';
import { registerEval } from './eval';
import { registerRun } from './run';
import { registerTrain } from './train';
import { registerEmbed } from './embed';

const root = mkdtempSync(join(tmpdir(), 'cfm-one-system-'));
const dataDir = join(root, 'data');
const env = process.env.CFM_DATA_DIR;
const config = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 20, batchSize: 32, lr: 0.003, epochs: 2, validateEvery: 2 };

beforeAll(async () => {
  await initTestBackend();
  writeSimulation(
    {
      seed: 5,
      customers: 120,
      items: 60,
      days: 20,
      startDate: '2024-01-01',
      brands: 5,
      categoryTree: [4, 3, 2],
      outputs: { impressions: false, queries: false, incentives: false, itemText: false },
    },
    join(dataDir, 'shop'),
  );
  process.env.CFM_DATA_DIR = dataDir;
  resetRuntimeOptions();
});
afterAll(() => {
  process.env.CFM_DATA_DIR = env;
  resetRuntimeOptions();
  rmSync(root, { recursive: true, force: true });
});

const stderr: string[] = [];
async function cfm(...args: string[]): Promise<string> {
  const p = new Command('cfm').exitOverride();
  for (const register of [registerTrain, registerEval, registerRun, registerEmbed]) register(p);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (stderr.push(String(s)), true));
  try {
    await p.parseAsync(['node', 'cfm', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out.join('');
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('one system', () => {
  it('cfm train + cfm eval and cfm run give the same artifact hash and the same metrics', async () => {
    const trained = join(root, 'trained');
    const overrides = Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
    const t = await cfm('train', '--model', 'bert4rec', '--dataset', 'path:shop', '--out', trained, '--seed', '3', ...overrides);
    expect(t).toMatch(/bert4rec: \d+ steps/);
    const e = await cfm('eval', '--run', trained, '--protocol', 'sampled-uniform', '--negatives', '20', '--seeds', '0,1');
    // the table states the real split, not "leave-one-out"
    expect(e).toMatch(/Split: temporal \(valid from \d{4}-\d{2}-\d{2}, test from \d{4}-\d{2}-\d{2}\)/);
    expect(e).toMatch(/\| sampled-uniform-20 \| .*±/);

    const runFile = join(root, 'run.yaml');
    writeFileSync(
      runFile,
      JSON.stringify({
        name: 'same',
        seed: 3,
        workDir: join(root, 'run'),
        dataset: { source: 'files', path: join(dataDir, 'shop') },
        families: [{ name: 'bert4rec', config }],
        evaluate: [{ protocol: 'full' }, { protocol: 'sampled', negatives: 20, seeds: [0, 1] }],
      }),
    );
    await cfm('run', '--config', runFile);
    const models = join(root, 'run', 'models');
    const runDir = join(models, readdirSync(models)[0]);

    const a = json(join(trained, 'run.json'));
    const b = json(join(runDir, 'run.json'));
    expect(b.config).toEqual(a.config);
    expect(b.artifactHash).toBe(a.artifactHash);
    const byLabel = (f: string) =>
      Object.fromEntries((json(f).results as Array<{ label: string; metrics: Record<string, number> }>).map((r) => [r.label, r.metrics]));
    const ea = byLabel(join(trained, 'eval.json'));
    const eb = byLabel(join(runDir, 'eval.json'));
    expect(Object.keys(ea).sort()).toEqual(['full', 'sampled-uniform-20']);
    expect(eb).toEqual(ea);
  }, 180_000);

  it('cfm embed accounts for every customer and warns of an --as-of before any data', async () => {
    const trained = join(root, 'trained');
    const prepared = json(join(trained, 'run.json')).preparedDir as string;
    stderr.length = 0;
    const out = await cfm(
      'embed',
      '--model',
      trained,
      '--data',
      prepared,
      '--as-of',
      '2000-01-01',
      '--out',
      join(root, 'early.parquet'),
      '--workers',
      '0',
    );
    const users = json(join(prepared, 'manifest.json')).counts.users as number;
    const m = /exported 0 of (\d+) customers \((\d+) without events before 2000-01-01(?:, (\d+) in no sequence)?\)/.exec(out)!;
    expect(Number(m[1])).toBe(users);
    expect(Number(m[2]) + Number(m[3] ?? 0)).toBe(users);
    if (m[3]) expect(stderr.join('')).toMatch(new RegExp(`warning: ${m[3]} of the prepared data's ${users} customers are in no sequence`));
    expect(stderr.join('')).toMatch(/warning: --as-of 2000-01-01 is at or before every event \(the first is 2024-01-\d\d\)/);
  }, 120_000);

  it('refuses bad numbers and unknown config keys with the option or field named', async () => {
    await expect(
      cfm('train', '--model', 'bert4rec', '--dataset', 'path:shop', '--out', join(root, 'x'), '--epochs', 'abc'),
    ).rejects.toThrow(/field "--epochs": expected an integer in 1\.\.100000, got "abc"/);
    await expect(cfm('train', '--model', 'bert4rec', '--dataset', 'path:shop', '--out', join(root, 'x'), '--epochs', '0')).rejects.toThrow(
      /--epochs/,
    );
    await expect(
      cfm('train', '--model', 'bert4rec', '--dataset', 'path:shop', '--out', join(root, 'x'), '--config', 'dmodel=64'),
    ).rejects.toThrow(/field "families.0.config.dmodel": unknown key "dmodel"/);
    await expect(cfm('eval', '--run', join(root, 'x'), '--seeds', 'a,b')).rejects.toThrow(/field "--seeds"/);
  });
});
