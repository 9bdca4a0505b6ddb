/** The run's own parts of a workDir page: the header (summary.json) and the comparison of every model. */
import { esc, missing, note, num, pm, table, type Cell } from './html';
import type { ModelFolder, SummaryJson } from './layout';
import { headline, mainMetrics, type Part } from './results-sections';

const loads = (xs: number[]) => xs.map((l) => l.toFixed(2)).join(' / ');
/** the machine's load average (1 / 5 / 15 min) at the start → end of the run, or once */
const load = (mc: NonNullable<SummaryJson['machine']>) =>
  mc.loadavgStart
    ? `load ${loads(mc.loadavgStart)} → ${mc.loadavgEnd ? loads(mc.loadavgEnd) : '?'}`
    : mc.loadavg
      ? `load ${loads(mc.loadavg)}`
      : undefined;

export function runHeader(s: SummaryJson, models: ModelFolder[]): string {
  const mc = s.machine;
  const machine =
    mc &&
    [
      mc.cpus !== undefined ? `${mc.cpus} × ${mc.cpuModel ?? 'cpu'}` : mc.cpuModel,
      mc.memGiB !== undefined ? `${num(mc.memGiB, 1)} GiB` : undefined,
      load(mc),
    ]
      .filter(Boolean)
      .join(', ');
  const kv: Array<[string, unknown]> = [
    ['dataset', s.spec?.datasetName ?? models.find((m) => m.run?.dataset)?.run?.dataset],
    ['commit', s.commit?.slice(0, 10)],
    ['machine', machine],
    ['backend', s.backend],
    ['total', s.seconds !== undefined ? `${num(s.seconds, 1)} s` : undefined],
    ['models', s.models.length],
    ['started', s.createdAt],
    ['finished', s.finishedAt],
  ];
  const meta = kv
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${esc(k)} <code>${esc(v)}</code>`)
    .join(' · ');
  return `<h1>Run ${esc(s.runName)}</h1><div class="meta">${meta}</div>`;
}

interface Column {
  head: string;
  value: (m: ModelFolder) => number | undefined;
}

/** The columns every model shares: each protocol's main metrics, then each benchmark row's headline metric. */
function columns(models: ModelFolder[]): Column[] {
  const cols = new Map<string, Column>();
  for (const m of models) {
    for (const r of m.evaluation?.results ?? [])
      for (const k of mainMetrics(r)) {
        const head = `${r.label} ${k}`;
        if (!cols.has(head)) cols.set(head, { head, value: (x) => x.evaluation?.results.find((q) => q.label === r.label)?.metrics[k] });
      }
  }
  for (const m of models) {
    for (const t of m.benchmarks?.results ?? [])
      for (const row of t.rows) {
        const k = headline(row.metrics);
        const head = `${t.task}/${row.model} ${k}`;
        if (k && !cols.has(head))
          cols.set(head, {
            head,
            value: (x) => x.benchmarks?.results.find((q) => q.task === t.task)?.rows.find((q) => q.model === row.model)?.metrics[k],
          });
      }
  }
  return [...cols.values()];
}

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
/** sample standard deviation (n − 1) */
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

export function comparisonSection(s: SummaryJson, models: ModelFolder[]): Part {
  if (!models.length) return { body: missing('summary.json lists no models'), filled: false };
  const cols = columns(models);
  const gate = (m: ModelFolder): Cell => {
    if (!m.gate) return '—';
    if (m.gate.passed) return { html: '<span class="better">passed</span>' };
    // a re-run of the champion's own inputs: nothing to decide
    return m.gate.reason === 'already the champion' ? 'champion' : { html: '<span class="worse">failed</span>' };
  };
  const promoted = (m: ModelFolder): Cell => (m.promote ? (m.promote.promoted ? 'yes' : 'no') : m.gate ? 'no' : '—');
  const family = (m: ModelFolder, i: number) => m.run?.family ?? s.models[i]?.family ?? m.key;
  const link = (m: ModelFolder, i: number): Cell => ({ html: `<a href="#model-${esc(m.key)}">${esc(family(m, i))}</a>` });
  let html = table(
    ['family', 'seed', ...cols.map((c) => c.head), 'gate', 'promoted'],
    models.map((m, i) => [link(m, i), m.run?.seed ?? s.models[i]?.seed, ...cols.map((c) => c.value(m)), gate(m), promoted(m)]),
  );
  if (!models.some((m) => m.evaluation))
    html += note('no model has an eval.json yet: written by the evaluate step (`cfm eval <runDir>` or `cfm run`)');
  const families = new Map<string, ModelFolder[]>();
  models.forEach((m, i) => {
    const f = family(m, i);
    families.set(f, [...(families.get(f) ?? []), m]);
  });
  const multi = [...families].filter(([, ms]) => ms.length > 1);
  if (multi.length) {
    html += `<h4>Across training seeds</h4><p class="protocol">mean ± sample standard deviation (n − 1) over the seeds each family was trained with</p>`;
    html += table(
      ['family', 'seeds', ...cols.map((c) => c.head)],
      multi.map(([f, ms]) => [
        f,
        ms.map((m) => m.run?.seed ?? '?').join(', '),
        ...cols.map((c) => {
          const xs = ms.map(c.value).filter((x): x is number => x !== undefined);
          return xs.length ? pm(mean(xs), std(xs)) : undefined;
        }),
      ]),
    );
  }
  if (s.targets?.length) {
    const keys = [...new Set(s.targets.flatMap((t) => Object.keys(t)))];
    html +=
      '<h4>Targets</h4>' +
      table(
        keys,
        s.targets.map((t) =>
          keys.map((k) => {
            const v = t[k];
            return typeof v === 'boolean'
              ? { html: v ? '<span class="better">yes</span>' : '<span class="worse">no</span>' }
              : typeof v === 'number'
                ? v
                : v === undefined
                  ? undefined
                  : String(v);
          }),
        ),
      );
  }
  return { body: html, filled: models.some((m) => m.evaluation) };
}
