/** Open a report in headless Chromium and read back what the page shows, section by section. */
import { CfmError } from '@cfm/core';
import { dumpDom, findChromium } from './chromium';

export interface RenderedSection {
  /** the section's kind ('comparison', 'training', 'metrics', ...) */
  id: string;
  /** the model folder it belongs to; null for the run's own sections */
  model: string | null;
  /** drawn with content (a table with cells, a chart with marks, or the config) and no "input absent" note */
  filled: boolean;
  /** shows a failed verification (an artifact file whose sha256 differs from its manifest, missing or unlisted) */
  failed: boolean;
  /** Vega charts with drawn marks in the section */
  charts: number;
}

const attr = (tag: string, name: string) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];

/** Sections of a DOM as Chromium serialised it (see `renderedSections`); exported for tests on plain HTML. */
export function sectionsOfDom(dom: string): RenderedSection[] {
  const out: RenderedSection[] = [];
  for (const m of dom.matchAll(/<section(\s[^>]*)>([\s\S]*?)<\/section>/g)) {
    const id = attr(m[1], 'data-section');
    if (!id) continue;
    const inner = m[2];
    const charts = inner
      .split('<svg')
      .slice(1)
      .filter((svg) => /role-mark/.test(svg)).length;
    const content = /<td[\s>]/.test(inner) || charts > 0 || /<pre[\s>]/.test(inner);
    out.push({
      id,
      model: attr(m[1], 'data-model') ?? null,
      filled: content && !/class="missing"/.test(inner),
      failed: /class="failed"/.test(inner),
      charts,
    });
  }
  return out;
}

/**
 * Render `htmlFile` in headless Chromium (Debian's `chromium`; CHROMIUM_BIN overrides) and return each
 * section of the page as the browser built it. Throws CFM_E_STATE when Chromium is not installed.
 */
export function renderedSections(htmlFile: string, bin = findChromium()): RenderedSection[] {
  if (!bin) throw new CfmError('CFM_E_STATE', 'chromium not found (bash infra/chromium/install.sh)');
  const dom = dumpDom(htmlFile, bin);
  if (!/<\/html>/i.test(dom)) throw new CfmError('CFM_E_STATE', 'chromium returned no page', { file: htmlFile });
  return sectionsOfDom(dom);
}
