import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { silentProgress, type ProgressReporter } from '@cfm/core';
import { comparisonSpec, gatesSpec, renderSvg, trainingCurvesSpec, umapSpec } from './charts';
import { esc, figure, missing, num, page, section, table } from './html';
import { publishedFor } from './published';
import { readRunDir, type MetricsFile, type RunDir } from './run-dir';
import { umapFromParquet } from './umap';

export interface ReportOptions {
  /** where the HTML goes; default <run dir>/report.html */
  out?: string;
  /** champion metrics (e.g. from the registry); overrides metrics.json's champion */
  champion?: MetricsFile['champion'];
  /** shown when there is no champion to compare with, e.g. "this run is the current champion" */
  championNote?: string;
  /** customer labels to colour the UMAP map (default labels.json of the run dir) */
  labels?: Record<string, Record<string, string | number>>;
  /** which label to colour by; default the first label found */
  label?: string;
  umapPoints?: number;
  progress?: ProgressReporter;
}

/** Build the static report of one run directory; returns the HTML path. */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<{ path: string; sections: string[] }> {
  const run = readRunDir(dir);
  const progress = opts.progress ?? silentProgress;
  const champion = opts.champion ?? run.metrics?.champion;
  const parts: Array<[string, string]> = [];
  progress.start('report', 6);
  parts.push(['training', await trainingSection(run)]);
  progress.update({ step: 'report', done: 1, total: 6 });
  parts.push(['metrics', await metricsSection(run, champion, opts.championNote)]);
  parts.push(['compute', computeSection(run)]);
  progress.update({ step: 'report', done: 3, total: 6 });
  parts.push(['umap', await umapSection(run, opts, progress)]);
  progress.update({ step: 'report', done: 5, total: 6 });
  parts.push(['gates', run.gates ? figure(await renderSvg(gatesSpec(run.gates)), 'mean gate weight of each task over the experts') : missing('MMoE gate weights (only for families with an MMoE)')]);
  parts.push(['artifact', artifactSection(run)]);
  const titles: Record<string, string> = { training: 'Training curves', metrics: 'Metrics', compute: 'Compute cost', umap: 'Customer embeddings (UMAP)', gates: 'MMoE gate weights', artifact: 'Artifact' };
  const html = page(`cfm report ${run.run.runId ?? ''}`, header(run), parts.map(([id, body]) => section(id, titles[id], body)));
  const out = opts.out ?? join(dir, 'report.html');
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, out);
  progress.finish('report', { bytes: html.length });
  return { path: out, sections: parts.map(([id]) => id) };
}

function header(run: RunDir): string {
  const r = run.run, m = run.manifest ?? {};
  const kv: Array<[string, unknown]> = [
    ['family', r.family], ['dataset', r.dataset ?? m.dataset], ['use case', r.useCase], ['seed', r.seed], ['backend', r.backend],
    ['config', m.configHash], ['data', m.dataHash], ['code', typeof m.codeVersion === 'string' ? m.codeVersion.slice(0, 10) : undefined], ['created', r.createdAt ?? m.createdAt],
  ];
  const meta = kv.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${esc(k)} <code>${esc(v)}</code>`).join(' · ');
  return `<h1>Run ${esc(r.runId ?? run.dir)}</h1><div class="meta">${meta}</div>${r.notes ? `<div class="meta">${esc(r.notes)}</div>` : ''}`;
}

async function trainingSection(run: RunDir): Promise<string> {
  if (!run.history?.length) return missing('Training history (history.json)');
  const last = run.history[run.history.length - 1];
  const secs = run.history.reduce((a, h) => a + (h.seconds ?? 0), 0);
  const unit = run.history.every((h) => h.step !== undefined) ? 'steps' : 'epochs';
  return figure(await renderSvg(trainingCurvesSpec(run.history)), `${run.history.length} ${unit}, final loss ${num(last.loss)}, ${num(secs, 1)} s of training`);
}

async function metricsSection(run: RunDir, champion: MetricsFile['champion'], note?: string): Promise<string> {
  const m = run.metrics;
  if (!m) return missing('Evaluation metrics (metrics.json)');
  const names = Object.keys(m.metrics);
  const sameProtocol = champion && champion.protocol === m.protocol;
  const rows = names.map((k) => {
    const c = champion?.metrics[k];
    const delta = c !== undefined && sameProtocol ? m.metrics[k] - c : undefined;
    return [k, m.metrics[k], c, delta === undefined ? undefined : `${delta >= 0 ? '+' : ''}${num(delta)}`];
  });
  let html = `<p class="protocol">protocol: ${esc(m.protocol)}${m.split ? ` · split ${esc(m.split)}` : ''}</p>`;
  html += table(['metric', 'this run', champion ? `champion ${champion.label}` : 'champion', 'Δ vs champion'], rows);
  if (champion && !sameProtocol) html += `<p class="missing">champion measured under "${esc(champion.protocol)}": not compared.</p>`;
  if (!champion) html += `<p class="missing">${esc(note ?? 'no champion in the registry for this family and use case yet')}.</p>`;
  const published = publishedFor(run.run.dataset ?? (run.manifest?.dataset as string | undefined), run.run.family);
  const bars = names.map((k) => ({ metric: k, source: 'this run', value: m.metrics[k] }));
  if (champion && sameProtocol) for (const k of names) if (champion.metrics[k] !== undefined) bars.push({ metric: k, source: 'champion', value: champion.metrics[k] });
  if (published.length) {
    html += `<h3>Published numbers</h3>`;
    html += table(['source', 'protocol', ...names.filter((k) => published.some((p) => k in p.metrics))],
      published.map((p) => [p.source, p.protocol, ...names.filter((k) => published.some((q) => k in q.metrics)).map((k) => p.metrics[k])]));
    html += `<p class="protocol">compare only rows whose protocol matches this run's.</p>`;
    const match = published.find((p) => normalize(p.protocol) === normalize(m.protocol));
    if (match) for (const k of names) if (match.metrics[k] !== undefined) bars.push({ metric: k, source: 'published', value: match.metrics[k] });
  }
  const shown = bars.filter((b) => /@|mrr/.test(b.metric));
  if (shown.length) html += figure(await renderSvg(comparisonSpec(shown)), 'ranking metrics: this run vs champion vs published (same protocol only)');
  return html;
}

/** 'leave-one-out, full ranking' and 'loo split, full …' are the same protocol for the comparison chart. */
const normalize = (p: string) => {
  const s = p.toLowerCase();
  const split = /loo|leave-one-out/.test(s) ? 'loo' : /temporal/.test(s) ? 'temporal' : '?';
  const cands = /full/.test(s) ? 'full' : /pop/.test(s) ? 'pop' : /uniform|random|99|100/.test(s) ? 'uniform' : '?';
  return `${split}/${cands}`;
};

function computeSection(run: RunDir): string {
  if (!run.compute?.length) return missing('Compute cost (compute.json)');
  const total = run.compute.reduce((a, c) => a + c.seconds, 0);
  return table(['step', 'seconds', 'share', 'backend', 'device', 'throughput'],
    [...run.compute.map((c) => [c.step, c.seconds, `${((100 * c.seconds) / total).toFixed(1)} %`, c.backend, c.device, c.throughput !== undefined ? `${num(c.throughput, 1)} ${c.unit ?? ''}` : undefined]),
      ['total', total, '100 %', '', '', '']]);
}

async function umapSection(run: RunDir, opts: ReportOptions, progress: ProgressReporter): Promise<string> {
  if (!run.embeddingsFile) return missing('Customer embeddings (embeddings.parquet)');
  const labels = opts.labels ?? run.labels ?? {};
  const first = Object.values(labels)[0];
  const label = opts.label ?? (first ? Object.keys(first)[0] : undefined);
  const labelOf = (id: string) => (label && labels[id]?.[label] !== undefined ? String(labels[id][label]) : 'unknown');
  const points = await umapFromParquet(run.embeddingsFile, labelOf, { maxPoints: opts.umapPoints ?? 2000, seed: run.run.seed ?? 0, progress });
  if (!points.length) return missing('Enough customer embeddings for a map');
  return figure(await renderSvg(umapSpec(points, label ?? 'label')), `${points.length} customers (deterministic sample), UMAP 2-D, coloured by ${label ?? 'nothing (no labels)'}`);
}

function artifactSection(run: RunDir): string {
  const m = run.manifest;
  if (!m) return missing('Model manifest (manifest.json)');
  const files = Object.entries((m.files ?? {}) as Record<string, string>).map(([f, h]) => [f, h.slice(0, 16) + '…']);
  const cut = m.cutoffs ? `<p class="protocol">cut-offs: ${esc(JSON.stringify(m.cutoffs))}</p>` : '';
  return `${cut}${table(['file', 'sha256'], files)}<pre>${esc(JSON.stringify(m.config, null, 1))}</pre>`;
}
