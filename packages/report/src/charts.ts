/** Vega-Lite specs for the report, rendered to static SVG at build time with Vega's Node API
 * (no JavaScript in the page, so it works offline and from file://). */
import type { ExpertsFile, TrainJson } from './layout';

export type VlSpec = Record<string, unknown>;

const WIDTH = 420;
const HEIGHT = 240;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Training loss per optimizer step (train.json trace; per epoch from history when there is no trace)
 * and, beside it, the validation metric per epoch when one was recorded. */
export function trainingCurvesSpec(train: Pick<TrainJson, 'history' | 'trace'>): VlSpec {
  const perStep = !!train.trace?.length;
  const loss = perStep
    ? train.trace!.map((t) => ({ x: t.step, value: t.loss }))
    : train.history.map((h) => ({ x: h.epoch, value: h.loss }));
  const metric = train.history.filter((h) => h.metric !== undefined).map((h) => ({ x: h.epoch, value: h.metric }));
  const panel = (values: unknown[], x: string, title: string, colour: string, points: boolean) => ({
    data: { values },
    width: WIDTH / 1.6,
    height: HEIGHT,
    title,
    mark: { type: 'line', point: points, color: colour },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x, axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
    },
  });
  const panels = [panel(loss, perStep ? 'optimizer step' : 'epoch', 'train loss', '#4c78a8', !perStep || loss.length <= 60)];
  if (metric.length) panels.push(panel(metric, 'epoch', 'validation metric', '#f58518', true));
  return { $schema: SCHEMA, hconcat: panels };
}

/** Benchmark results of one task: a bar per method and metric, with the ± std over repeats. */
export function benchmarkSpec(rows: Array<{ metric: string; model: string; value: number; std: number }>): VlSpec {
  const values = rows.map((r) => ({ ...r, lo: r.value - r.std, hi: r.value + r.std }));
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, header: { labelOrient: 'bottom' } } },
    spec: {
      width: { step: 18 },
      height: HEIGHT * 0.6,
      layer: [
        {
          mark: 'bar',
          encoding: {
            y: { field: 'value', type: 'quantitative', title: null },
            color: { field: 'model', type: 'nominal', title: null, legend: { orient: 'top' } },
          },
        },
        { mark: { type: 'rule', color: '#333' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      ],
      encoding: { x: { field: 'model', type: 'nominal', axis: null } },
    },
  };
}

/** 2-D UMAP map of customer embeddings coloured by a label. */
export function umapSpec(points: Array<{ x: number; y: number; label: string }>, label: string): VlSpec {
  return {
    $schema: SCHEMA,
    width: WIDTH,
    height: WIDTH * 0.8,
    data: { values: points },
    mark: { type: 'circle', size: 9, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: label, scale: { scheme: 'tableau10' } },
    },
  };
}

/** Grouped bars per metric (e.g. one bar per evaluate protocol, or this model vs champion vs published). */
export function comparisonSpec(rows: Array<{ metric: string; source: string; value: number }>): VlSpec {
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width: { step: 14 },
    height: HEIGHT * 0.75,
    mark: 'bar',
    encoding: {
      column: {
        field: 'metric',
        type: 'nominal',
        title: null,
        sort: [...new Set(rows.map((r) => r.metric))],
        spacing: 6,
        header: { labelOrient: 'bottom', labelAngle: -40, labelAlign: 'right', labelBaseline: 'middle' },
      },
      x: { field: 'source', type: 'nominal', axis: null, sort: [...new Set(rows.map((r) => r.source))] },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'source', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  };
}

/** MMoE gate weights: tasks × experts heat map. */
export function gatesSpec(g: ExpertsFile): VlSpec {
  const values = g.tasks.flatMap((task, t) => g.weights[t].map((w, e) => ({ task, expert: `e${e}`, weight: w })));
  return {
    $schema: SCHEMA,
    data: { values },
    width: { step: 36 },
    height: { step: 28 },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'weight', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] } } } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'weight', type: 'quantitative', format: '.2f' } } },
    ],
    encoding: {
      x: { field: 'expert', type: 'ordinal', title: 'expert' },
      y: { field: 'task', type: 'ordinal', title: null },
    },
  };
}

/** Compile Vega-Lite → Vega and render to an SVG string (vega and vega-lite are ESM: imported lazily). */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
