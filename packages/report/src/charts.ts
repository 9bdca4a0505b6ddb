/** Vega-Lite specs for the report, rendered to static SVG at build time with Vega's Node API
 * (no JavaScript in the page, so it works offline and from file://). */
import type { GatesFile, History } from './run-dir';

export type VlSpec = Record<string, unknown>;

const WIDTH = 420;
const HEIGHT = 240;

/** Loss (and the validation metric when present) per epoch, one panel each. */
export function trainingCurvesSpec(history: History): VlSpec {
  const x = history.every((h) => h.step !== undefined) ? 'step' : 'epoch';
  const values = history.flatMap((h) => [
    { x: x === 'step' ? h.step : h.epoch, series: 'train loss', value: h.loss },
    ...(h.metric !== undefined ? [{ x: x === 'step' ? h.step : h.epoch, series: 'validation metric', value: h.metric }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    facet: { column: { field: 'series', type: 'nominal', title: null } },
    spec: {
      width: WIDTH / 1.6, height: HEIGHT,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: x, axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'series', type: 'nominal', legend: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** 2-D UMAP map of customer embeddings coloured by a label. */
export function umapSpec(points: Array<{ x: number; y: number; label: string }>, label: string): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH, height: WIDTH * 0.8,
    data: { values: points },
    mark: { type: 'circle', size: 9, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: label, scale: { scheme: 'tableau10' } },
    },
  };
}

/** Run vs champion vs published, grouped bars per metric. */
export function comparisonSpec(rows: Array<{ metric: string; source: string; value: number }>): VlSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    width: { step: 14 }, height: HEIGHT * 0.75,
    mark: 'bar',
    encoding: {
      column: { field: 'metric', type: 'nominal', title: null, header: { labelOrient: 'bottom' } },
      x: { field: 'source', type: 'nominal', axis: null },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'source', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  };
}

/** MMoE gate weights: tasks × experts heat map. */
export function gatesSpec(g: GatesFile): VlSpec {
  const values = g.tasks.flatMap((task, t) => g.weights[t].map((w, e) => ({ task, expert: `e${e}`, weight: w })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    width: { step: 36 }, height: { step: 28 },
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
