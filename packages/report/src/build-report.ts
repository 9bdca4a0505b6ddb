import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfmError, silentProgress, type ProgressReporter } from '@cfm/core';
import { esc, page, section } from './html';
import type { UserLabels } from './labels';
import { isModelFolder, isWorkDir, readModelFolder, readSummary, type ModelFolder } from './layout';
import { artifactSection, configSection, embeddingsSection, expertsSection, gateSection } from './model-sections';
import { benchmarksSection, computeSection, metricsSection, trainingSection, type Part } from './results-sections';
import { comparisonSection, runHeader } from './run-page';

export interface ReportOptions {
  /** where the HTML goes; default <dir>/report.html */
  out?: string;
  /** customer labels to colour the UMAP maps by (default: the users table of each model's prepared data) */
  labels?: UserLabels;
  /** which label to colour by; default the first with 2 to 12 distinct values */
  label?: string;
  /** customers on each UMAP map; default 2000 for one model, 1000 per model on a whole run's page */
  umapPoints?: number;
  progress?: ProgressReporter;
}

/** One section of the page: its kind, the model folder it belongs to (null: the run's own), whether its input was there. */
export interface ReportSection {
  id: string;
  model: string | null;
  filled: boolean;
}

export interface ReportResult {
  path: string;
  sections: ReportSection[];
  /** every model's artifact verified: each file's sha256, recomputed, matches its manifest.json */
  verified: boolean;
  /** what failed verification, one line each */
  problems: string[];
}

/** The sections of a model, in page order (experts only when experts.json is there). */
export const MODEL_SECTIONS = [
  'training',
  'metrics',
  'benchmarks',
  'compute',
  'embeddings',
  'gate',
  'experts',
  'config',
  'artifact',
] as const;
const TITLES: Record<string, string> = {
  training: 'Training',
  metrics: 'Metrics',
  benchmarks: 'Downstream benchmarks',
  compute: 'Compute cost',
  embeddings: 'Customer embeddings (UMAP)',
  gate: 'Gate',
  experts: 'MMoE experts',
  config: 'Config',
  artifact: 'Artifact',
  comparison: 'Models compared',
};

/**
 * Build the static report of `dir`: a whole run (a workDir with summary.json: the comparison of every model,
 * then each model's sections) or one model folder (run.json + model/). The HTML is written beside its
 * destination and renamed into place.
 */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  if (!existsSync(dir)) throw new CfmError('CFM_E_FILE', 'report directory does not exist', { file: dir });
  const progress = opts.progress ?? silentProgress;
  const sections: ReportSection[] = [];
  const problems: string[] = [];
  let title: string, header: string;
  const body: string[] = [];
  if (isWorkDir(dir)) {
    const { summary, runDirs } = readSummary(dir);
    const models = runDirs.map((d) => (existsSync(d) ? readModelFolder(d) : { dir: d, key: d.split(/[\\/]/).pop()! }));
    title = `cfm run ${summary.runName}`;
    header = runHeader(summary, models);
    const cmp = comparisonSection(summary, models);
    sections.push({ id: 'comparison', model: null, filled: cmp.filled });
    body.push(section('comparison', TITLES.comparison, cmp.body));
    progress.start('report', models.length);
    for (const [i, m] of models.entries()) {
      const r = await renderModel(m, { ...opts, umapPoints: opts.umapPoints ?? 1000, progress });
      sections.push(...r.sections);
      problems.push(...r.problems);
      body.push(
        `<h2 id="model-${esc(m.key)}">${esc(summary.models[i]?.family ?? m.key)} · seed ${esc(summary.models[i]?.seed)} <small>${esc(m.key)}</small></h2>${modelMeta(m)}`,
        ...r.html,
      );
      progress.update({ step: 'report', done: i + 1, total: models.length });
    }
  } else if (isModelFolder(dir)) {
    const m = readModelFolder(dir);
    title = `cfm model ${m.key}`;
    header = `<h1>Model ${esc(m.run?.family ?? m.key)}${m.run?.seed !== undefined ? ` · seed ${esc(m.run.seed)}` : ''}</h1><div class="meta">${modelMeta(m)}</div>`;
    progress.start('report', 1);
    const r = await renderModel(m, { ...opts, umapPoints: opts.umapPoints ?? 2000, progress });
    sections.push(...r.sections);
    problems.push(...r.problems);
    body.push(...r.html);
  } else {
    throw new CfmError('CFM_E_FILE', "not a run: no summary.json (a whole run's workDir) nor run.json or model/ (a model folder)", {
      file: dir,
    });
  }
  const html = page(title, header, body);
  const out = opts.out ?? join(dir, 'report.html');
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, out);
  progress.finish('report', { bytes: html.length, failures: problems.length });
  return { path: out, sections, verified: problems.length === 0, problems };
}

function modelMeta(m: ModelFolder): string {
  const r = m.run ?? {};
  const kv: Array<[string, unknown]> = [
    ['family', r.family],
    ['name', r.name],
    ['dataset', r.dataset],
    ['split', r.split],
    ['seed', r.seed],
    ['backend', r.backend],
    ['artifact', r.artifactHash?.slice(0, 16)],
    ['code', r.codeVersion?.slice(0, 10)],
    ['created', r.createdAt],
    ['folder', m.dir],
  ];
  return `<p class="model-meta">${kv
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${esc(k)} <code>${esc(v)}</code>`)
    .join(' · ')}</p>`;
}

async function renderModel(
  m: ModelFolder,
  opts: ReportOptions & { umapPoints: number; progress: ProgressReporter },
): Promise<{ html: string[]; sections: ReportSection[]; problems: string[] }> {
  const parts: Array<[string, Part]> = [
    ['training', await trainingSection(m)],
    ['metrics', await metricsSection(m)],
    ['benchmarks', await benchmarksSection(m)],
    ['compute', computeSection(m)],
    [
      'embeddings',
      await embeddingsSection(m, { labels: opts.labels, label: opts.label, umapPoints: opts.umapPoints, progress: opts.progress }),
    ],
    ['gate', gateSection(m)],
  ];
  if (m.experts) parts.push(['experts', await expertsSection(m)]);
  parts.push(['config', configSection(m)]);
  const artifact = artifactSection(m);
  parts.push(['artifact', artifact]);
  return {
    html: parts.map(([id, p]) => section(id, TITLES[id], p.body, m.key)),
    sections: parts.map(([id, p]) => ({ id, model: m.key, filled: p.filled })),
    problems: artifact.check.problems,
  };
}
