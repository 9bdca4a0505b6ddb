/** Errors a person can act on: a table of bad invocations of the real `cfm` process, each ending with a non-zero
 * exit, exactly one `cfm:` line naming a code, and no stack frame. */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSimulation } from '@cfm/simulator';
import { prepareFromSources } from '@cfm/data';

const repo = resolve(__dirname, '../../..');
const root = mkdtempSync(join(tmpdir(), 'cfm-cli-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** paths in the table are relative to the scratch folder; the process runs from the repository root */
const abs = (args: string[]) =>
  args.map((a, i) =>
    i > 0 && args[i - 1].startsWith('--') && !/^(-?\d|path:|nope|gpt|bert4rec|abc|a,b|2023)/.test(a) ? join(root, a) : a,
  );

function cfm(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(repo, 'apps/cli/src/main.ts'), ...abs(args)], {
      cwd: repo,
      env: { ...process.env, CFM_DATA_DIR: join(root, 'data'), CFM_DEBUG: '' },
    });
    let stderr = '',
      stdout = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.stdout.on('data', (d) => (stdout += d));
    p.on('close', (code) => done({ code, stderr, stdout }));
  });
}

let prepared = '';
beforeAll(async () => {
  mkdirSync(join(root, 'a-folder'));
  symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
  symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
  const sim = join(root, 'data', 'shop');
  writeSimulation(
    {
      seed: 1,
      customers: 40,
      items: 30,
      days: 10,
      startDate: '2024-01-01',
      brands: 3,
      categoryTree: [3, 2],
      outputs: { impressions: false, queries: false, incentives: false, itemText: false },
    },
    sim,
  );
  prepared = join(root, 'prepared');
  await prepareFromSources({ dataset: 'shop', sources: { events: [join(sim, 'events.csv')] }, out: prepared, config: { split: 'loo' } });
  cpSync(prepared, join(root, 'truncated'), { recursive: true });
  const shard = join(root, 'truncated', 'train.arrow');
  truncateSync(shard, Math.floor(statSync(shard).size / 2));
  writeFileSync(join(root, 'bad.yaml'), 'name: x\ndataset: { source: simulator }\nfamilies: [{ name: bert4rec, config: { dmodel: 8 } }]\n');
});

const BAD: Array<[string, string[], RegExp]> = [
  ['a directory given as the run config', ['run', '--config', 'a-folder'], /CFM_E_FILE.*a-folder: cannot read run config: EISDIR/],
  ['a symlink loop as the run config', ['run', '--config', 'loop-a'], /CFM_E_FILE.*ELOOP/],
  ['an unknown key in a family config', ['run', '--config', 'bad.yaml'], /CFM_E_CONFIG.*field "families\.0\.config\.dmodel": unknown key/],
  [
    'a truncated Arrow shard',
    ['train', '--model', 'bert4rec', '--dataset', 'truncated', '--out', 'out-truncated', '--epochs', '1'],
    /CFM_E_FILE.*train\.arrow: (size \d+ bytes, the prepared manifest says \d+ \(truncated or changed\)|cannot read this Arrow shard)/,
  ],
  ['--epochs abc', ['train', '--model', 'bert4rec', '--dataset', 'path:shop', '--out', 'o', '--epochs', 'abc'], /CFM_E_CONFIG.*"--epochs"/],
  ['--negatives -5', ['eval', '--run', 'a-folder', '--negatives', '-5'], /CFM_E_CONFIG.*"--negatives": expected an integer >= 1, got "-5"/],
  ['--seeds a,b', ['eval', '--run', 'a-folder', '--seeds', 'a,b'], /CFM_E_CONFIG.*"--seeds"/],
  ['a folder that is not a model folder', ['eval', '--run', 'a-folder'], /CFM_E_FILE.*no run\.json/],
  [
    '--as-of 2023-02-30',
    ['embed', '--model', 'a-folder', '--data', 'prepared', '--as-of', '2023-02-30', '--out', 'e.parquet'],
    /CFM_E_CONFIG.*"--as-of": expected a calendar date/,
  ],
  [
    'a missing DuckDB folder',
    ['prepare', '--dataset', 'path:shop', '--out', 'p2', '--db', 'no-such-folder/x.duckdb'],
    /CFM_E_FILE.*no-such-folder\/x\.duckdb.*does not exist/,
  ],
  ['an unknown dataset', ['train', '--model', 'bert4rec', '--dataset', 'nope', '--out', 'o'], /CFM_E_DATASET.*unknown dataset "nope"/],
  [
    'an unknown model family',
    ['train', '--model', 'gpt', '--dataset', 'path:shop', '--out', 'o'],
    /CFM_E_CONFIG.*unknown model family "gpt"/,
  ],
  ['a report of a folder that is not a run', ['report', join(root, 'a-folder')], /CFM_E_FILE.*not a run/],
];

describe('bad invocations', () => {
  it.each(BAD)(
    '%s: non-zero exit, one cfm: line with a code, no stack',
    async (_name, args, message) => {
      const r = await cfm(args);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('cfm:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^cfm: \[CFM_E_[A-Z_]+\] /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).not.toMatch(/^\s+at /m);
    },
    120_000,
  );
});
