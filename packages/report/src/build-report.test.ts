import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildReport } from './build-report';
import { dumpDom, findChromium, pngStats, screenshotPage } from './chromium';
import { writeRunFile } from './run-dir';

const root = mkdtempSync(join(tmpdir(), 'cfm-report-'));
const run = join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 300 customers in three well-separated groups; labels.json names the group. */
async function writeEmbeddings(file: string) {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    await con.run(`COPY (SELECT 'c' || i AS customer_id,
      list_transform(range(16), j -> ((i % 3) * 4.0 + ((hash(i * 31 + j) % 1000) / 1000.0))::FLOAT) AS vector
      FROM range(300) t(i)) TO '${file}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

beforeAll(async () => {
  mkdirSync(run, { recursive: true });
  writeRunFile(run, 'run.json', { runId: 'r-test', family: 'bert4rec', dataset: 's3rec-beauty', seed: 1, backend: 'tensorflow' });
  writeRunFile(run, 'history.json', [1, 2, 3, 4].map((e) => ({ epoch: e, loss: 8 / e, metric: 0.01 * e, seconds: 2 })));
  writeRunFile(run, 'gates.json', { tasks: ['click', 'order'], experts: 3, weights: [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]] });
  writeRunFile(run, 'metrics.json', {
    protocol: 'loo split, full ranking', metrics: { 'hr@10': 0.041, 'ndcg@10': 0.021 },
    champion: { label: 'r-old', protocol: 'loo split, full ranking', metrics: { 'hr@10': 0.035, 'ndcg@10': 0.018 } },
  });
  writeRunFile(run, 'compute.json', [{ step: 'train', seconds: 8, backend: 'tensorflow', throughput: 900, unit: 'seq/s' }, { step: 'export', seconds: 1.5 }]);
  writeRunFile(run, 'labels.json', Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`c${i}`, { group: `g${i % 3}` }])));
  writeFileSync(join(run, 'manifest.json'), JSON.stringify({ family: 'bert4rec', config: { hidden: 64 }, configHash: 'abc', vocabHash: 'v', seed: 1, files: { 'weights.bin': 'f'.repeat(64) }, createdAt: '2024-01-01' }));
  await writeEmbeddings(join(run, 'embeddings.parquet'));
});

describe('run report', () => {
  it('renders every section as static SVG, without scripts', async () => {
    const { path } = await buildReport(run, { umapPoints: 300 });
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html.match(/<svg /g)?.length).toBe(4); // curves, comparison, UMAP, gates
    expect(html).toContain('protocol: loo split, full ranking');
    expect(html).toContain('+0.0060'); // hr@10 vs champion
    expect(html).toContain('S3-Rec paper'); // published Beauty numbers
    expect(html).toContain('coloured by group');
    expect(html).toContain('4 epochs, final loss 2.0000');
    expect(html).toContain('0.70'); // a gate weight label
    expect(html).not.toContain('not recorded');
  }, 60_000);

  it('says what is missing instead of failing on a bare run directory', async () => {
    const bare = join(root, 'bare');
    mkdirSync(bare);
    const html = readFileSync((await buildReport(bare)).path, 'utf8');
    expect(html.match(/not recorded for this run/g)?.length).toBe(6);
  }, 30_000);

  it('refuses a metrics.json without a protocol', async () => {
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeRunFile(bad, 'metrics.json', { metrics: { 'hr@10': 1 } });
    await expect(buildReport(bad)).rejects.toThrow(/CFM_E_ROW_SCHEMA.*metrics\.json.*protocol/);
  });
});

const chromium = findChromium();
const mustRun = process.env.CI === 'true';
describe.skipIf(!chromium && !mustRun)(`run report in headless Chromium${chromium ? '' : ' (skipped: chromium not installed; bash infra/chromium/install.sh)'}`, () => {
  it('draws the charts: non-blank screenshot, SVG marks in the DOM', async () => {
    expect(chromium, 'CI=true needs chromium (bash infra/chromium/install.sh)').toBeDefined();
    const { path } = await buildReport(run, { umapPoints: 300, out: join(root, 'browser.html') });
    const png = join(root, 'shot.png');
    screenshotPage(path, png, { width: 1000, height: 1600 }, chromium);
    const stats = pngStats(png);
    expect(stats.width).toBe(1000);
    expect(stats.inkShare).toBeGreaterThan(0.05);
    expect(stats.colours).toBeGreaterThan(50);
    const dom = dumpDom(path, chromium);
    expect(dom.match(/class="marks"/g)?.length).toBe(4);
    expect(dom.match(/role-mark/g)?.length ?? 0).toBeGreaterThan(4);
  }, 120_000);
});
