/** Small HTML helpers: everything is escaped; the page carries its own CSS and no scripts. */
export const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function num(x: number | undefined, digits = 4): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(digits);
}

export function table(head: string[], rows: Array<Array<string | number | undefined>>, cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? num(c) : esc(c ?? '—')}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** A chart figure; `svg` comes from Vega's renderer (trusted markup). */
export const figure = (svg: string, caption: string) => `<figure class="chart">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;

export const missing = (what: string) => `<p class="missing">${esc(what)} not recorded for this run.</p>`;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
header .meta{font-size:12px;opacity:.85}header code{color:#cfe3ff}
main{max-width:1100px;margin:0 auto;padding:10px 28px 40px}
section{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:12px 18px;margin:16px 0}
h2{font-size:16px;margin:4px 0 10px}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e8eaee;padding:4px 10px;text-align:right}th{background:#f0f2f5}
td:first-child,th:first-child{text-align:left}.protocol{font-size:12px;color:#555;margin:2px 0 8px}
.better{color:#137333}.worse{color:#b3261e}.missing{color:#888;font-style:italic}
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
