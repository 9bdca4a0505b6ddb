/** Headless Chromium (Debian's `chromium`) for checking the report renders: screenshot + DOM dump. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { CfmError } from '@cfm/core';

/** Path of a Chromium binary: env CHROMIUM_BIN, else chromium / chromium-browser / google-chrome on PATH. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean) as string[];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return c;
  }
  return undefined;
}

function runChromium(bin: string, args: string[], target: string): string {
  const profile = mkdtempSync(join(tmpdir(), 'cfm-chromium-'));
  try {
    return execFileSync(
      bin,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
        pathToFileURL(resolve(target)).href,
      ],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (e) {
    throw new CfmError('CFM_E_STATE', `chromium failed: ${(e as Error).message.split('\n')[0]}`, { file: target });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Render `htmlFile` headless and write a PNG screenshot. */
export function screenshotPage(htmlFile: string, pngFile: string, size = { width: 1200, height: 2400 }, bin = findChromium()): void {
  if (!bin) throw new CfmError('CFM_E_STATE', 'chromium not found (bash infra/chromium/install.sh)');
  runChromium(bin, [`--screenshot=${resolve(pngFile)}`, `--window-size=${size.width},${size.height}`], htmlFile);
}

/** The DOM after the page has loaded, as Chromium serialises it. */
export function dumpDom(htmlFile: string, bin = findChromium()): string {
  if (!bin) throw new CfmError('CFM_E_STATE', 'chromium not found (bash infra/chromium/install.sh)');
  return runChromium(bin, ['--dump-dom'], htmlFile);
}

/** How much is drawn in a PNG: share of pixels that differ from the most common colour, and distinct colours. */
export function pngStats(pngFile: string): { width: number; height: number; inkShare: number; colours: number } {
  const png = PNG.sync.read(readFileSync(pngFile));
  const counts = new Map<number, number>();
  const { data } = png;
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  const total = png.width * png.height;
  return { width: png.width, height: png.height, inkShare: (total - background) / total, colours: counts.size };
}
