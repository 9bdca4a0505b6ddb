/** A model's other sections: embeddings (UMAP of exports/embeddings.parquet), gate (gate.json +
 * promote.json), experts (experts.json), config (run.json) and artifact (model/, verified here). */
import type { ProgressReporter } from '@cfm/core';
import { gatesSpec, renderSvg, umapSpec } from './charts';
import { esc, figure, missing, note, num, table, type Cell } from './html';
import { findPreparedDir, pickLabel, preparedUserLabels, type UserLabels } from './labels';
import { SOURCES, type ModelFolder } from './layout';
import type { Part } from './results-sections';
import { umapFromParquet } from './umap';
import { checkArtifact, describe, type ArtifactCheck } from './verify';

export interface EmbeddingOptions {
  /** labels to colour by instead of the prepared data's users table */
  labels?: UserLabels;
  /** which label; default the first with 2..12 values */
  label?: string;
  umapPoints: number;
  progress: ProgressReporter;
}

export async function embeddingsSection(m: ModelFolder, opts: EmbeddingOptions): Promise<Part> {
  if (!m.embeddingsFile) return { body: missing(SOURCES.embeddings), filled: false };
  const found = opts.labels
    ? { labels: opts.labels }
    : await preparedUserLabels(findPreparedDir(m.dir, m.run?.preparedDir), m.run?.preparedDir);
  const labels = found.labels ?? {};
  const label = found.labels ? pickLabel(labels, Object.keys(labels).slice(0, 5000), opts.label) : undefined;
  const labelOf = (id: string) => (label && labels[id]?.[label] !== undefined ? String(labels[id][label]) : 'unknown');
  const points = await umapFromParquet(m.embeddingsFile, labelOf, {
    maxPoints: opts.umapPoints,
    seed: m.run?.seed ?? 0,
    progress: opts.progress,
  });
  if (!points.length) return { body: missing('exports/embeddings.parquet holds fewer than 5 customers: too few for a map'), filled: false };
  const colour = label
    ? `coloured by ${label} from ${opts.labels ? 'the labels given' : 'the users table'}`
    : `coloured by nothing: ${found.why ?? 'no label with 2 to 12 values in the users table'}`;
  let html = figure(
    await renderSvg(umapSpec(points, label ?? 'label')),
    `${points.length} customers (deterministic sample), UMAP 2-D, ${colour}`,
  );
  const x = m.exported;
  html += x
    ? table(
        ['exported file', 'rows'],
        x.files.map((f) => {
          const name = f.split(/[\\/]/).pop()!;
          return [`exports/${name}`, x.rows[name] ?? x.rows[name.replace(/\.parquet$/, '')]];
        }),
      ) + `<p class="protocol">top-k of every task: ${esc(x.tasks.join(', ') || 'none')}</p>`
    : note('no export.json: written by the export step (`cfm run`)');
  return { body: html, filled: true };
}

export function gateSection(m: ModelFolder): Part {
  const g = m.gate;
  if (!g) return { body: missing(SOURCES.gate), filled: false };
  const outcome = (ok: boolean) => ({ html: ok ? '<span class="better">passed</span>' : '<span class="worse">failed</span>' });
  const delta = g.champion === null ? undefined : g.challenger - g.champion;
  let html = table(
    ['metric', 'this model (challenger)', 'champion', 'Δ', 'gate'],
    [
      [
        g.metric,
        g.challenger,
        g.champion ?? 'none yet',
        delta === undefined ? '—' : `${delta >= 0 ? '+' : ''}${num(delta)}`,
        outcome(g.passed),
      ],
    ],
  );
  html += `<p class="protocol">reason: ${esc(g.reason)}</p>`;
  if (g.benchmarks?.length) {
    html +=
      '<h4>Benchmark requirements</h4>' +
      table(
        ['result', 'value', 'min', 'met'],
        g.benchmarks.map((b) => [b.result, b.value ?? 'not measured', b.min, outcome(b.passed)]),
      );
  } else html += note('no benchmark requirements (gate.benchmarks in run.yaml)');
  const p = m.promote;
  html += p
    ? `<p class="protocol">promote.json: ${p.promoted ? `<span class="better">promoted</span> → ${esc(p.championDir)}` : 'not promoted'}</p>`
    : note(`no promote.json: not promoted (the promote step writes it when the gate passes and run.yaml has \`promote: true\`)`);
  return { body: html, filled: true };
}

export async function expertsSection(m: ModelFolder): Promise<Part> {
  const e = m.experts!;
  return {
    body: figure(await renderSvg(gatesSpec(e)), `mean gate weight of each task over the ${e.experts} experts (experts.json)`),
    filled: true,
  };
}

export function configSection(m: ModelFolder): Part {
  const r = m.run;
  if (!r?.config) return { body: missing(SOURCES.config), filled: false };
  const facts: Cell[][] = [
    ['family id', r.family],
    ['registry name', r.name],
    ['preset', r.preset ?? 'none (paper defaults)'],
    ['config hash', r.configHash],
    ['seed', r.seed],
    ['dataset', r.dataset],
    ['data hash', r.dataHash],
    ['split', r.split],
    ['prepared data', r.preparedDir],
    ['backend', r.backend],
    ['code version', r.codeVersion],
    ['created', r.createdAt],
  ];
  return {
    body:
      table(
        ['run.json', ''],
        facts.filter((f) => f[1] !== undefined),
      ) + `<h4>Resolved config</h4><pre>${esc(JSON.stringify(r.config, null, 1))}</pre>`,
    filled: true,
  };
}

/** The artifact's files with their sha256 recomputed here; any difference from manifest.json fails. */
export function artifactSection(m: ModelFolder): Part & { check: ArtifactCheck } {
  const check = checkArtifact(m.modelDir, m.run?.artifactHash || undefined);
  if (!check.manifest)
    return { body: `<p class="failed">verification failed: no artifact.</p>` + missing(SOURCES.artifact), filled: false, check };
  const short = (h?: string) => (h ? { html: `<code title="${esc(h)}">${esc(h.slice(0, 16))}…</code>` } : '—');
  const verdict = check.verified
    ? `<p class="ok">verified: the sha256 of every file, recomputed from its bytes, matches model/manifest.json.</p>`
    : `<p class="failed">verification failed:</p><ul class="failed">${check.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`;
  const mf = check.manifest;
  const meta =
    `<p class="protocol">manifest.json sha256 <code>${esc(check.manifestSha)}</code> · family ${esc(mf.family)} · config ${esc(mf.configHash)} · vocab ${esc(mf.vocabHash)} · seed ${esc(mf.seed)}` +
    ` · artifact hash <code>${esc(check.contentHash)}</code> (recomputed; run.json: <code>${esc(m.run?.artifactHash || 'not recorded')}</code>)</p>`;
  const rows: Cell[][] = check.files.map((f) => [
    f.file,
    f.bytes,
    short(f.sha256),
    short(f.expected),
    { html: `<span class="${f.status === 'ok' ? 'ok' : 'failed'}">${esc(describe(f.status))}</span>` },
  ]);
  return {
    body: verdict + meta + table(['file (model/)', 'bytes', 'sha256 (recomputed)', 'sha256 (manifest)', 'check'], rows),
    filled: true,
    check,
  };
}
