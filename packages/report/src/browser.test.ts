import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderedSections } from './browser';
import { buildReport } from './build-report';
import { findChromium, pngStats, screenshotPage } from './chromium';
import { writeFixtureRun } from './testing';

const chromium = findChromium();
const mustRun = process.env.CI === 'true';
const root = mkdtempSync(join(tmpdir(), 'cfm-report-browser-'));
const work = join(root, 'work');
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await writeFixtureRun(work, [
    { family: 'bert4rec', name: 'bert4rec', seed: 1 },
    { family: 'mcm', name: 'mcm', seed: 1, experts: true },
  ]);
});

describe.skipIf(!chromium && !mustRun)(
  `report in headless Chromium${chromium ? '' : ' (skipped: chromium not installed; bash infra/chromium/install.sh)'}`,
  () => {
    it('renders a whole run: every section filled, with drawn charts, and a non-blank page', async () => {
      expect(chromium, 'CI=true needs chromium (bash infra/chromium/install.sh)').toBeDefined();
      const built = await buildReport(work, { umapPoints: 200 });
      const seen = renderedSections(built.path, chromium);
      expect(seen.map(({ id, model }) => ({ id, model }))).toEqual(built.sections.map(({ id, model }) => ({ id, model })));
      expect(seen.filter((s) => !s.filled || s.failed)).toEqual([]);
      for (const s of seen.filter((x) => ['training', 'metrics', 'benchmarks', 'embeddings', 'experts'].includes(x.id)))
        expect(s.charts, `${s.model} ${s.id}`).toBeGreaterThan(0);
      const png = join(root, 'shot.png');
      screenshotPage(built.path, png, { width: 1000, height: 1600 }, chromium);
      const stats = pngStats(png);
      expect(stats.width).toBe(1000);
      expect(stats.inkShare).toBeGreaterThan(0.05);
      expect(stats.colours).toBeGreaterThan(50);
    }, 180_000);

    it('shows a tampered artifact as a failed verification', async () => {
      const dir = join(root, 'tampered');
      const [first] = readdirSync(join(work, 'models')).sort();
      cpSync(join(work, 'models', first), dir, { recursive: true });
      appendFileSync(join(dir, 'model', 'weights', 'weights.bin'), Uint8Array.from([7]));
      const built = await buildReport(dir, { umapPoints: 50 });
      expect(built.verified).toBe(false);
      const artifact = renderedSections(built.path, chromium).find((s) => s.id === 'artifact')!;
      expect(artifact).toMatchObject({ filled: true, failed: true });
    }, 180_000);
  },
);
