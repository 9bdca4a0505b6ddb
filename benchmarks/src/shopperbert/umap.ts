/** UMAP picture (§4.4, Fig. 2) of customer vectors coloured by a label: umap-js (seeded) → Vega-Lite
 * (@cfm/report umapSpec) → SVG, and a PNG screenshot of it when Chromium is installed. */
import { rmSync, writeFileSync } from 'node:fs';
import { UMAP } from 'umap-js';
import { createRng, silentProgress, type ProgressReporter } from '@cfm/core';
import { findChromium, renderSvg, screenshotPage, umapSpec } from '@cfm/report';

/** 2-D coordinates of n vectors [n, dim] */
export function umap2d(
  vectors: Float32Array,
  dim: number,
  seed: number,
  progress: ProgressReporter = silentProgress,
): Array<[number, number]> {
  const rows = Array.from({ length: vectors.length / dim }, (_, i) => Array.from(vectors.subarray(i * dim, (i + 1) * dim)));
  const rng = createRng(seed);
  const u = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: () => rng.next() });
  const epochs = u.initializeFit(rows);
  progress.start('umap', epochs);
  for (let e = 0; e < epochs; e++) {
    u.step();
    progress.update({ step: 'umap', done: e + 1, total: epochs });
  }
  progress.finish('umap', { points: rows.length });
  return u.getEmbedding() as Array<[number, number]>;
}

/** writes `<file>.svg` (and `<file>.png` when Chromium is there); returns the written paths */
export async function umapPicture(
  vectors: Float32Array,
  dim: number,
  labels: string[],
  title: string,
  file: string,
  seed = 0,
  progress?: ProgressReporter,
): Promise<string[]> {
  const xy = umap2d(vectors, dim, seed, progress);
  const spec = {
    ...umapSpec(
      xy.map(([x, y], i) => ({ x, y, label: labels[i] })),
      title,
    ),
    title: `${title}: UMAP of ${xy.length} customer vectors`,
  };
  const svg = await renderSvg(spec);
  writeFileSync(`${file}.svg`, svg);
  const out = [`${file}.svg`];
  if (findChromium()) {
    const html = `${file}.tmp.html`;
    writeFileSync(html, `<html><body style="margin:0;background:#fff">${svg}</body></html>`);
    screenshotPage(html, `${file}.png`, { width: 760, height: 460 });
    rmSync(html);
    out.push(`${file}.png`);
  }
  return out;
}
