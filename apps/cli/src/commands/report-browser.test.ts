/** One report for every run: the README's main job and a `cfm train` run, rendered in headless Chromium, have
 * every section filled from what those paths wrote (no hand-made report inputs). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetRuntimeOptions } from '@cfm/core';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { findChromium, renderedSections } from '@cfm/report';
import { writeSimulation } from '@cfm/simulator';
import { initTestBackend } from '@cfm/tensor/testing';
import { registerRun } from './run';
import { registerTrain } from './train';

const chromium = findChromium();
const mustRun = process.env.CI === 'true';
const root = mkdtempSync(join(tmpdir(), 'cfm-report-e2e-'));
const dataDir = join(root, 'data');
const env = process.env.CFM_DATA_DIR;

beforeAll(async () => {
  await initTestBackend();
  writeSimulation(
    {
      seed: 9,
      customers: 200,
      items: 80,
      days: 30,
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

async function cfm(...args: string[]): Promise<string> {
  const p = new Command('cfm').exitOverride();
  for (const register of [registerTrain, registerRun]) register(p);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await p.parseAsync(['node', 'cfm', ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out.join('');
}

function expectAllFilled(html: string): void {
  const seen = renderedSections(html, chromium);
  expect(seen.length).toBeGreaterThan(8);
  expect(seen.filter((s) => !s.filled || s.failed).map((s) => `${s.model}/${s.id}`)).toEqual([]);
}

describe.skipIf(!chromium && !mustRun)(
  `reports of real runs in headless Chromium${chromium ? '' : ' (skipped: chromium not installed)'}`,
  () => {
    it("renders the README main job's report with every section filled", async () => {
      expect(chromium, 'CI=true needs chromium (bash infra/chromium/install.sh)').toBeDefined();
      const config = parseYaml(readFileSync(resolve(__dirname, '../../../../examples/run.yaml'), 'utf8')) as Record<string, unknown>;
      const file = join(root, 'run.yaml');
      writeFileSync(file, JSON.stringify({ ...config, workDir: join(root, 'demo') }));
      const out = await cfm('run', '--config', file);
      expect(out).toMatch(/report: .*demo\/report\.html/);
      expectAllFilled(join(root, 'demo', 'report.html'));
    }, 300_000);

    it("renders a cfm train run's report with every section filled", async () => {
      const users = readFileSync(join(dataDir, 'shop', 'users.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[1]);
      const counts = new Map<string, number>();
      for (const u of users) counts.set(u, (counts.get(u) ?? 0) + 1);
      const largest = [...counts].sort((a, b) => b[1] - a[1])[0][0];
      const out = join(root, 'trained');
      await cfm(
        'train',
        '--model',
        'mcm',
        '--dataset',
        'path:shop',
        '--out',
        out,
        '--epochs',
        '2',
        '--config',
        'dModel=16',
        '--config',
        'nHeads=2',
        '--config',
        'nLayers=1',
        '--config',
        'maxLen=20',
        '--config',
        'batchSize=32',
        '--benchmark',
        `{task: label, field: segment, positive: [${largest}], epochs: 3}`,
      );
      expectAllFilled(join(out, 'report.html'));
    }, 300_000);
  },
);
