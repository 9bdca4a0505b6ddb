/** A model's measured sections: training curves (train.json), metrics (eval.json + gate.json),
 * benchmarks (benchmarks.json) and compute cost (the seconds of every step's json). */
import type { BenchmarkResult, ProtocolResult } from '@cfm/contracts';
import { benchmarkSpec, comparisonSpec, renderSvg, trainingCurvesSpec } from './charts';
import { esc, figure, missing, note, num, pm, table, type Cell } from './html';
import { SOURCES, type ModelFolder } from './layout';
import { publishedFor } from './published';

/** A rendered section: its markup and whether its input was there. */
export interface Part {
  body: string;
  filled: boolean;
}

/** The metrics a protocol is summarised by: ndcg@10 and hr@10, else its first two. */
export function mainMetrics(r: ProtocolResult): string[] {
  const main = ['ndcg@10', 'hr@10'].filter((k) => k in r.metrics);
  return main.length ? main : Object.keys(r.metrics).slice(0, 2);
}

/** The headline metric of a benchmark row: AUROC for classification, NDCG@10 for next-item, else the first. */
export function headline(metrics: Record<string, number>): string | undefined {
  return ['auroc', 'auc', 'ndcg@10', 'hr@10', 'f1'].find((k) => k in metrics) ?? Object.keys(metrics)[0];
}

export async function trainingSection(m: ModelFolder): Promise<Part> {
  const t = m.train;
  if (!t) return { body: missing(SOURCES.train), filled: false };
  const facts = table(
    ['steps', 'epochs', 'resumed from step', 'final loss', 'seconds', 'seq/s', 'backend'],
    [[t.steps, t.epochs, t.resumedFromStep, t.finalLoss, t.seconds, t.seqPerSec, t.backend ?? m.run?.backend]],
  );
  if (!t.history.length && !t.trace?.length)
    return { body: facts + note('train.json has no history nor trace: no curves to draw'), filled: true };
  const hasMetric = t.history.some((h) => h.metric !== undefined);
  const caption =
    `${t.trace?.length ? `loss at ${t.trace.length} optimizer steps` : `loss per epoch (${t.history.length})`}` +
    (hasMetric ? ', validation metric per epoch' : ', no validation metric recorded');
  return { body: facts + figure(await renderSvg(trainingCurvesSpec(t)), caption), filled: true };
}

/** 'leave-one-out, full ranking' and 'loo split, full …' are the same protocol for the published comparison. */
const normalize = (p: string) => {
  const s = p.toLowerCase();
  const split = /loo|leave-one-out/.test(s) ? 'loo' : /temporal/.test(s) ? 'temporal' : '?';
  const cands = /full/.test(s) ? 'full' : /pop/.test(s) ? 'pop' : /uniform|random|99|100/.test(s) ? 'uniform' : '?';
  return `${split}/${cands}`;
};

export async function metricsSection(m: ModelFolder): Promise<Part> {
  const ev = m.evaluation;
  if (!ev) return { body: missing(SOURCES.evaluation), filled: false };
  const published = publishedFor(m.run?.dataset, m.run?.name ?? m.run?.family);
  let html = `<p class="protocol">split: ${esc(ev.split)}</p>`;
  const bars: Array<{ metric: string; source: string; value: number }> = [];
  for (const r of ev.results) {
    const pub = published.find((p) => normalize(p.protocol) === normalize(r.protocol));
    html += `<h4>${esc(r.label)}</h4><p class="protocol">protocol: ${esc(r.protocol)}</p>${metricTable(r)}`;
    if (r.perSeed?.length > 1) {
      const main = mainMetrics(r);
      html += table(
        ['seed', ...main],
        r.perSeed.map((x, i) => [r.seeds[i] ?? i, ...main.map((k) => x[k])]),
      );
    }
    if (pub)
      html += note(
        `published (${pub.source}, ${pub.protocol}): ${Object.entries(pub.metrics)
          .map(([k, v]) => `${k} ${num(v)}`)
          .join(', ')}`,
      );
    for (const k of Object.keys(r.metrics))
      if (/^(hr|ndcg)@\d+$|^mrr$/.test(k)) bars.push({ metric: k, source: r.label, value: r.metrics[k] });
  }
  html += championLine(m);
  if (bars.length) html += figure(await renderSvg(comparisonSpec(bars)), 'ranking metrics per protocol');
  return { body: html, filled: ev.results.length > 0 };
}

/** Metrics as a grid: a row per measure (hr, ndcg, recall, …), a column per cut-off k; mean ± std. */
function metricTable(r: ProtocolResult): string {
  const split = (key: string) => {
    const at = key.lastIndexOf('@');
    return at > 0 ? [key.slice(0, at), key.slice(at + 1)] : [key, ''];
  };
  const names = [...new Set(Object.keys(r.metrics).map((k) => split(k)[0]))];
  const ks = [...new Set(Object.keys(r.metrics).map((k) => split(k)[1]))].sort((a, b) =>
    a === '' ? 1 : b === '' ? -1 : Number(a) - Number(b),
  );
  const key = (n: string, k: string) => (k ? `${n}@${k}` : n);
  return table(
    ['metric', ...ks.map((k) => (k ? `@${k}` : 'all'))],
    names.map((n) => [n, ...ks.map((k) => (key(n, k) in r.metrics ? pm(r.metrics[key(n, k)], r.std?.[key(n, k)]) : undefined))]),
  );
}

/** The champion comparison of gate.json, in the metrics section. */
function championLine(m: ModelFolder): string {
  const g = m.gate;
  if (!g) return note(`no champion comparison: ${SOURCES.gate}`);
  if (g.champion === null)
    return `<p class="protocol">champion: none yet for ${esc(g.family)}; this model's ${esc(g.metric)} ${num(g.challenger)}</p>`;
  const delta = g.challenger - g.champion;
  return (
    `<p class="protocol">${esc(g.metric)}: this model ${num(g.challenger)} vs champion ${num(g.champion)} ` +
    `(<span class="${delta >= 0 ? 'better' : 'worse'}">Δ ${delta >= 0 ? '+' : ''}${num(delta)}</span>), gate.json</p>`
  );
}

export async function benchmarksSection(m: ModelFolder): Promise<Part> {
  const b = m.benchmarks;
  if (!b) return { body: missing(SOURCES.benchmarks), filled: false };
  if (!b.results.length)
    return { body: missing('benchmarks.json holds no task: declare `benchmarks:` in run.yaml (`cfm run`)'), filled: false };
  let html = '';
  for (const t of b.results) html += await benchmarkTask(t);
  return { body: html + note(`${num(b.seconds, 1)} s for ${b.results.length} task(s)`), filled: true };
}

async function benchmarkTask(t: BenchmarkResult): Promise<string> {
  const metrics = [...new Set(t.rows.flatMap((r) => Object.keys(r.metrics)))];
  const cost = t.rows.some((r) => r.cost);
  const head = ['method', ...metrics, ...(cost ? ['ms / batch', 'parameters trained', 'train s'] : [])];
  const rows: Cell[][] = t.rows.map((r) => [
    r.model,
    ...metrics.map((k) => pm(r.metrics[k], r.std?.[k])),
    ...(cost ? [r.cost?.msPerBatch, r.cost?.parameters, r.cost?.trainSeconds] : []),
  ]);
  const bars = t.rows.flatMap((r) =>
    metrics
      .filter((k) => r.metrics[k] !== undefined)
      .map((k) => ({ metric: k, model: r.model, value: r.metrics[k], std: r.std?.[k] ?? 0 })),
  );
  return (
    `<h4>${esc(t.task)} <small>(${esc(t.kind)})</small></h4>` +
    `<p class="protocol">rule: ${esc(t.rule)} · ${t.examples} examples · split train ${t.split.train} / valid ${t.split.valid} / test ${t.split.test} · ` +
    `${t.repeats} repeat(s), mean ± std over them</p>${table(head, rows)}` +
    (bars.length ? figure(await renderSvg(benchmarkSpec(bars)), `${t.task}: mean ± std over ${t.repeats} repeat(s)`) : '')
  );
}

export function computeSection(m: ModelFolder): Part {
  if (!m.train) return { body: missing(SOURCES.train), filled: false };
  const exportRows = m.exported ? Object.values(m.exported.rows).reduce((a, n) => a + n, 0) : 0;
  const steps: Array<[string, string, number | undefined, string | undefined]> = [
    ['train', 'train.json', m.train.seconds, m.train.seqPerSec !== undefined ? `${num(m.train.seqPerSec, 1)} seq/s` : undefined],
    ['evaluate', 'eval.json', m.evaluation?.seconds, undefined],
    ['benchmarks', 'benchmarks.json', m.benchmarks?.seconds, undefined],
    [
      'export',
      'export.json',
      m.exported?.seconds,
      m.exported && m.exported.seconds > 0 ? `${num(exportRows / m.exported.seconds, 0)} rows/s` : undefined,
    ],
  ];
  const total = steps.reduce((a, s) => a + (s[2] ?? 0), 0);
  const rows: Cell[][] = steps.map(([step, file, secs, rate]) =>
    secs === undefined
      ? [step, { html: `<span class="note">not run (no ${esc(file)})</span>` }, '', '', '']
      : [step, secs, total > 0 ? `${((100 * secs) / total).toFixed(1)} %` : '—', rate, file],
  );
  rows.push(['total', total, '100 %', '', '']);
  const backend = m.train.backend ?? m.run?.backend;
  return {
    body: `<p class="protocol">backend: ${esc(backend ?? 'not recorded')}</p>${table(['step', 'seconds', 'share', 'throughput', 'from'], rows)}`,
    filled: true,
  };
}
