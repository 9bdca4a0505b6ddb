/** Small HTML helpers: everything is escaped; the page carries its own CSS and no scripts. */
export const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function num(x: number | undefined, digits = 4): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(digits);
}

/** A table cell: text (escaped), a number (formatted) or trusted markup built here. */
export type Cell = string | number | undefined | null | { html: string };

export function table(head: string[], rows: Cell[][], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const cell = (c: Cell) => (typeof c === 'number' ? num(c) : c && typeof c === 'object' ? c.html : esc(c ?? '—'));
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** One section of the page: `data-section` names its kind, `data-model` the model folder (absent for
 * the run's own sections); the browser check (browser.ts) finds them by these attributes. */
export function section(id: string, title: string, body: string, model?: string): string {
  const anchor = model ? `${model}-${id}` : id;
  return `<section id="${esc(anchor)}" data-section="${esc(id)}"${model ? ` data-model="${esc(model)}"` : ''}><h3>${esc(title)}</h3>\n${body}\n</section>`;
}

/** A chart figure; `svg` comes from Vega's renderer (trusted markup). */
export const figure = (svg: string, caption: string) => `<figure class="chart">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;

/** The section's input is absent: `why` names the file and the command that writes it. */
export const missing = (why: string) => `<p class="missing">${esc(why)}.</p>`;

/** A remark inside a filled section (e.g. a step that did not run). */
export const note = (text: string) => `<p class="note">${esc(text)}</p>`;

/** mean ± std (std left out when 0 or absent). */
export const pm = (mean: number | undefined, std?: number, digits = 4) =>
  mean === undefined ? '—' : std ? `${num(mean, digits)} ± ${num(std, digits)}` : num(mean, digits);

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
header .meta{font-size:12px;opacity:.85}header code{color:#cfe3ff}
main{max-width:1100px;margin:0 auto;padding:10px 28px 40px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:12px 18px;margin:16px 0}
h2{font-size:18px;margin:26px 0 4px}h3{font-size:15px;margin:4px 0 10px}h4{font-size:13px;margin:10px 0 4px}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e8eaee;padding:4px 10px;text-align:right}th{background:#f0f2f5}
td:first-child,th:first-child{text-align:left}.protocol{font-size:12px;color:#555;margin:2px 0 8px}
.better{color:#137333}.worse{color:#b3261e}.missing,.note{color:#888;font-style:italic}
.failed{color:#b3261e;font-weight:600}.ok{color:#137333}.model-meta{font-size:12px;color:#555}
figure.chart{margin:6px 0;display:inline-block}figcaption{font-size:12px;color:#555}
pre{background:#f0f2f5;padding:8px;font-size:11px;overflow:auto;max-height:260px}`;

export function page(title: string, headerHtml: string, sections: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${CSS}</style></head>
<body><header>${headerHtml}</header>
<main>
${sections.join('\n')}
</main></body></html>
`;
}
