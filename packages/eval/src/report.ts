import type { Ties } from './ranking';
import type { NegativeProtocol } from './sampling';
import type { PairedTestResult, SeedSummary } from './stats';
import { summarizeSeeds } from './stats';

/** Everything a reader needs to interpret the numbers; printed next to them. */
export interface EvalProtocol {
  dataset?: string;
  /** e.g. 'temporal, test after 2019-07-01' or 'leave-one-out' */
  split: string;
  /** 'full' ranks every item; 'sampled' ranks the target among sampled negatives */
  candidates: 'full' | 'sampled';
  negatives?: Omit<NegativeProtocol, 'seed'> & { seed?: number };
  /** items of the customer's history removed from the candidates (full ranking) */
  excludeHistory?: boolean;
  ties?: Ties;
  /** training seeds the numbers are repeated over */
  seeds: number[];
  /** evaluation rows (customers, sessions or requests) */
  rows?: number;
  notes?: string;
}

export interface ReportRow {
  model: string;
  segment?: string;
  metrics: Record<string, number | SeedSummary>;
}

export interface Comparison {
  a: string;
  b: string;
  metric: string;
  result: PairedTestResult;
}

export interface Report {
  title: string;
  protocol: EvalProtocol;
  /** column order; default: the keys of the first row */
  metrics?: string[];
  rows: ReportRow[];
  comparisons?: Comparison[];
}

export function describeProtocol(p: EvalProtocol): string {
  const parts = [p.dataset ? `dataset ${p.dataset}` : '', `split ${p.split}`];
  if (p.candidates === 'full') parts.push(`candidates: full ranking${p.excludeHistory ? ' excluding history' : ''}`);
  else {
    const n = p.negatives;
    parts.push(
      `candidates: target + ${n ? `${n.count} ${n.kind} negatives${n.seed !== undefined ? ` (seed ${n.seed})` : ''}` : 'sampled negatives'}`,
    );
  }
  parts.push(`ties ${p.ties ?? 'pessimistic'}`);
  parts.push(`seeds ${p.seeds.length ? p.seeds.join(',') : 'none'} (n=${p.seeds.length})`);
  if (p.rows !== undefined) parts.push(`rows ${p.rows}`);
  if (p.notes) parts.push(p.notes);
  return parts.filter(Boolean).join('; ');
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

function cell(v: number | SeedSummary | undefined, digits: number): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return fmt(v, digits);
  if (v.n < 2) return fmt(v.mean, digits);
  return `${fmt(v.mean, digits)} ± ${fmt(v.std, digits)} [${fmt(v.ci95[0], digits)}, ${fmt(v.ci95[1], digits)}]`;
}

/** One report row per model from repeated runs: each metric becomes a SeedSummary. */
export function summarizeRuns(model: string, runs: Array<Record<string, number>>, segment?: string): ReportRow {
  const metrics: Record<string, SeedSummary> = {};
  for (const key of Object.keys(runs[0] ?? {})) metrics[key] = summarizeSeeds(runs.map((r) => r[key]));
  return { model, segment, metrics };
}

/** A Markdown table with the protocol stated above it; seed summaries print as mean ± std [95 % CI]. */
export function formatReport(report: Report, digits = 4): string {
  const keys = report.metrics ?? Object.keys(report.rows[0]?.metrics ?? {});
  const withSegment = report.rows.some((r) => r.segment);
  const head = ['model', ...(withSegment ? ['segment'] : []), ...keys];
  const lines = [
    `### ${report.title}`,
    '',
    `Protocol: ${describeProtocol(report.protocol)}`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
  ];
  for (const r of report.rows) {
    lines.push(
      `| ${[r.model, ...(withSegment ? [r.segment ?? 'all'] : []), ...keys.map((k) => cell(r.metrics[k], digits))].join(' | ')} |`,
    );
  }
  if (report.comparisons?.length) {
    lines.push('', 'Paired tests (two-sided):', '');
    for (const c of report.comparisons) {
      const { test, n, meanDiff, pValue, method } = c.result;
      lines.push(
        `- ${c.a} vs ${c.b} on ${c.metric}: mean diff ${fmt(meanDiff, digits)}, ${test} test (${method}), n=${n}, p=${pValue < 1e-15 ? '< 1e-15' : pValue < 1e-4 ? pValue.toExponential(2) : fmt(pValue, 4)}`,
      );
    }
  }
  return lines.join('\n');
}
