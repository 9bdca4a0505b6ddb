import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionsOfDom } from './browser';
import { buildReport, MODEL_SECTIONS } from './build-report';
import { esc } from './html';
import { SOURCES, type SummaryJson } from './layout';
import { writeFixtureModel, writeFixturePrepared, writeFixtureRun } from './testing';

const root = mkdtempSync(join(tmpdir(), 'cfm-report-'));
const work = join(root, 'work');
let summary: SummaryJson;
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  summary = await writeFixtureRun(work, [
    { family: 'bert4rec', name: 'bert4rec', seed: 1 },
    { family: 'bert4rec', name: 'bert4rec', seed: 2 },
    { family: 'mcm', name: 'mcm', seed: 1, experts: true },
  ]);
});

/** A copy of the first model folder (same prepared data) to break. */
function copyModel(name: string): string {
  const dir = join(work, 'models', name);
  cpSync(summary.models[0].runDir, dir, { recursive: true });
  return dir;
}
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

describe('report of a whole run (workDir)', () => {
  it('fills the comparison and every section of every model, without scripts', async () => {
    const r = await buildReport(work, { umapPoints: 300 });
    expect(r.verified).toBe(true);
    expect(r.problems).toEqual([]);
    const expected = [
      { id: 'comparison', model: null },
      ...summary.models.flatMap((m) =>
        MODEL_SECTIONS.filter((id) => id !== 'experts' || m.family === 'mcm').map((id) => ({ id, model: m.runDir.split('/').pop()! })),
      ),
    ];
    expect(r.sections.map(({ id, model }) => ({ id, model }))).toEqual(expected);
    expect(r.sections.filter((s) => !s.filled)).toEqual([]);
    const html = readFileSync(r.path, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('class="missing"');
    expect(html).toContain('Run fixture-run');
    expect(html).toContain('2 × Fixture CPU, 7.8 GiB, load 0.50 / 0.40 / 0.30 → 1.90 / 1.10 / 0.60');
    expect(html).toContain('0123456789'); // commit
  }, 120_000);

  it('compares the models: each protocol, the benchmark headlines, and mean ± std over seeds', async () => {
    const html = readFileSync((await buildReport(work, { umapPoints: 100 })).path, 'utf8');
    const cmp = html.slice(html.indexOf('id="comparison"'), html.indexOf('</section>', html.indexOf('id="comparison"')));
    for (const head of [
      'full ndcg@10',
      'full hr@10',
      'sampled-uniform-99 ndcg@10',
      'label-gender/u-mlp auroc',
      'finetune-gender/frozen auroc',
      'gate',
      'promoted',
    ])
      expect(cmp).toContain(`<th>${head}</th>`);
    const full = summary.models
      .filter((m) => m.family === 'bert4rec')
      .map((m) => readJson(join(m.runDir, 'eval.json')).results[0].metrics['ndcg@10'] as number);
    const mean = (full[0] + full[1]) / 2;
    const sd = Math.abs(full[0] - full[1]) / Math.SQRT2; // sample std of two values
    expect(cmp).toContain('Across training seeds');
    expect(cmp).toContain(`${mean.toFixed(4)} ± ${sd.toFixed(4)}`);
    expect(cmp).toContain('<h4>Targets</h4>');
  }, 120_000);
});

describe('report of one model folder', () => {
  it('fills every section from the files the steps write', async () => {
    const dir = summary.models[2].runDir; // mcm: has experts.json
    const r = await buildReport(dir, { umapPoints: 300 });
    expect(r.path).toBe(join(dir, 'report.html'));
    expect(r.sections.map((s) => s.id)).toEqual([...MODEL_SECTIONS]);
    expect(r.sections.every((s) => s.filled)).toBe(true);
    expect(r.verified).toBe(true);
    const html = readFileSync(r.path, 'utf8');
    const ev = readJson(join(dir, 'eval.json'));
    for (const p of ev.results) expect(html).toContain(`protocol: ${p.protocol}`);
    expect(html).toContain(`split: ${ev.split}`);
    expect(html).toContain('<th>metric</th><th>@10</th>'); // a row per measure, a column per k
    expect(html).toContain('<th>seed</th><th>ndcg@10</th><th>hr@10</th>'); // the sampled protocol's 3 seeds
    expect(html).toContain('rule: gender = F is 1, other values 0 · 300 examples · split train 210 / valid 45 / test 45');
    expect(html).toContain('<th>ms / batch</th><th>parameters trained</th>');
    expect(html).toContain('coloured by gender from the users table'); // zip has too many values to colour by
    expect(html).toContain('loss at 40 optimizer steps, validation metric per epoch');
    expect(html).toContain('label-gender/u-mlp/auroc');
    expect(html).toMatch(/promote\.json: <span class="better">promoted<\/span>/);
    expect(html).toContain('&quot;maxLen&quot;: 20'); // the resolved config
    // every artifact file with the hash recomputed from its bytes
    const manifest = readJson(join(dir, 'model', 'manifest.json'));
    for (const [file, hash] of Object.entries(manifest.files as Record<string, string>)) {
      expect(html).toContain(`<td>${file}</td>`);
      expect(html).toContain(`<code title="${hash}">`);
    }
    expect(html.match(/sha256 matches the manifest/g)?.length).toBe(Object.keys(manifest.files).length);
  }, 120_000);

  it('fails verification when a model file was changed, removed or added', async () => {
    const dir = copyModel('tampered');
    appendFileSync(join(dir, 'model', 'weights', 'weights.bin'), Uint8Array.from([1]));
    unlinkSync(join(dir, 'model', 'dims.json'));
    writeFileSync(join(dir, 'model', 'extra.bin'), 'x');
    const r = await buildReport(dir, { umapPoints: 50 });
    expect(r.verified).toBe(false);
    expect(r.problems).toEqual([
      `${join(dir, 'model', 'extra.bin')}: not listed in the manifest`,
      `${join(dir, 'model', 'weights/weights.bin')}: sha256 differs from the manifest`,
      `${join(dir, 'model', 'dims.json')}: listed in the manifest, file missing`,
    ]);
    const html = readFileSync(r.path, 'utf8');
    expect(html).toContain('<p class="failed">verification failed:</p>');
    expect(html).toContain('<span class="failed">sha256 differs from the manifest</span>');
    expect(html).not.toContain('class="ok">verified');
  }, 120_000);

  it('fails verification when run.json records another artifact than model/ holds', async () => {
    const dir = copyModel('other-artifact');
    const run = readJson(join(dir, 'run.json'));
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...run, artifactHash: '0000000000000000' }));
    const r = await buildReport(dir, { umapPoints: 50 });
    expect(r.verified).toBe(false);
    expect(r.problems).toEqual([
      `${join(dir, 'model', '..', 'run.json')}: artifactHash 0000000000000000 is not the artifact's (${run.artifactHash} from ${join(dir, 'model', 'manifest.json')})`,
    ]);
  }, 120_000);

  it('shows a failed gate as an outcome, not as a failed verification', async () => {
    const dir = copyModel('gate-failed');
    const gate = readJson(join(dir, 'gate.json'));
    writeFileSync(join(dir, 'gate.json'), JSON.stringify({ ...gate, champion: 0.9, passed: false, reason: 'ndcg@10 below the champion' }));
    const r = await buildReport(dir, { umapPoints: 50 });
    expect(r.verified).toBe(true);
    const seen = sectionsOfDom(readFileSync(r.path, 'utf8'));
    expect(seen.find((s) => s.id === 'gate')).toMatchObject({ filled: true, failed: false });
    expect(seen.filter((s) => s.failed)).toEqual([]);
    expect(readFileSync(r.path, 'utf8')).toContain('<span class="worse">failed</span>');
  }, 120_000);

  it('says which file is missing and which command writes it', async () => {
    const dir = copyModel('partial');
    for (const f of ['eval.json', 'benchmarks.json', 'gate.json']) unlinkSync(join(dir, f));
    const r = await buildReport(dir, { umapPoints: 50 });
    const filled = Object.fromEntries(r.sections.map((s) => [s.id, s.filled]));
    expect(filled).toMatchObject({ metrics: false, benchmarks: false, gate: false, training: true, compute: true, artifact: true });
    const html = readFileSync(r.path, 'utf8');
    expect(SOURCES.evaluation).toBe('no eval.json: written by the evaluate step (`cfm eval <runDir>` or `cfm run`)');
    expect(html).toContain(`<p class="missing">${esc(SOURCES.evaluation)}.</p>`);
    expect(html).toContain('<p class="missing">no benchmarks.json: declare `benchmarks:` in run.yaml (`cfm run`).</p>');
    expect(html).toContain('not run (no eval.json)'); // compute: the evaluate step's row
  }, 120_000);

  it('colours by nothing when the prepared data has no users, and says why', async () => {
    const prepared = join(root, 'prepared-no-users');
    writeFixturePrepared(prepared, 300, false);
    const dir = join(root, 'no-users');
    await writeFixtureModel(dir, { family: 'bert4rec', name: 'bert4rec', seed: 3, preparedDir: prepared });
    const html = readFileSync((await buildReport(dir, { umapPoints: 50 })).path, 'utf8');
    expect(html).toContain(
      `coloured by nothing: the prepared data has no users table (${join(prepared, 'manifest.json')}: hasUsers false)`,
    );
  }, 120_000);

  it('refuses a directory that is neither a run nor a model folder, and an eval.json without protocols', async () => {
    const bare = join(root, 'bare');
    mkdirSync(bare);
    await expect(buildReport(bare)).rejects.toThrow(/CFM_E_FILE.*bare.*no summary\.json/);
    const bad = copyModel('bad');
    writeFileSync(
      join(bad, 'eval.json'),
      JSON.stringify({ family: 'bert4rec', split: 'x', results: [{ label: 'full', metrics: {} }], seconds: 1 }),
    );
    await expect(buildReport(bad)).rejects.toThrow(/CFM_E_ROW_SCHEMA.*eval\.json.*results\[0\]\.protocol/);
  });
});
