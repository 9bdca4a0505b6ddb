/**
 * The reconciliation in input lines of the prepare summary: an adapter's raw files (lines it refused, lines it
 * converted) and the contract files' counts give input = accepted + quarantined, accepted = events + duplicates
 * (docs/data.md, "Reconciliation in raw lines"); and the warnings of valid but suspicious outcomes.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { CfmError, type ProgressReporter } from '@cfm/core';
import { sqlString } from './db';
import type { FileCount } from './ingest';

/** One raw file a dataset adapter read to write the contract files. */
export interface RawSource {
  /** the raw file (as named in the quarantine table: relative to the data directory) */
  file: string;
  /** which contract file its lines became */
  kind: 'events' | 'items' | 'users';
  /** its non-blank data lines (header excluded) */
  input: number;
  /** lines written as contract rows */
  converted: number;
  /** lines the adapter refused (binary garbage, wrong field count), with their line numbers */
  quarantine: Array<{ row: number; field: string; reason: string }>;
  /** every converted line became exactly one contract row (events of such files reconcile in raw lines) */
  oneRowPerLine: boolean;
}

/** A raw file as the manifest lists it: its refused lines counted, not listed. */
export type RawSummary = Omit<RawSource, 'quarantine'> & { quarantined: number };

/** The events of a prepare, counted in input lines. */
export interface EventLines {
  /** 'raw lines' when the events came from an adapter's raw files of one row per line, else contract 'rows' */
  unit: 'raw lines' | 'rows';
  input: number;
  /** accepted by the adapter and by validation (before de-duplication) */
  accepted: number;
  /** refused by the adapter (raw lines) plus by validation */
  quarantined: number;
  duplicates: number;
  /** accepted - duplicates */
  events: number;
}

/** A valid but suspicious outcome: `warning: <message>` in the progress log, and in the manifest. */
export interface PrepareWarning {
  code: 'empty-split' | 'vocab-collapsed' | 'future-times';
  message: string;
  /** how many customers / items / events it concerns */
  count: number;
}

/** Put the adapters' refused lines into `quarantine` (kind 'raw'); fails when a raw file does not add up. */
export async function quarantineRawLines(conn: DuckDBConnection, raw: RawSource[]): Promise<void> {
  for (const r of raw) {
    if (r.input !== r.converted + r.quarantine.length)
      throw new CfmError('CFM_E_RECONCILE', `raw lines ${r.input} != converted ${r.converted} + refused ${r.quarantine.length}`, {
        file: r.file,
      });
    const rows = r.quarantine.map((q) => `(${sqlString(r.file)}, ${q.row}, ${sqlString(q.field)}, ${sqlString(q.reason)}, 'raw')`);
    for (let k = 0; k < rows.length; k += 1000) await conn.run(`INSERT INTO quarantine VALUES ${rows.slice(k, k + 1000).join(', ')}`);
  }
}

/** The events in input lines; CFM_E_RECONCILE when they do not add up. */
export function eventLines(
  files: FileCount[],
  raw: Array<RawSource | RawSummary> | undefined,
  duplicates: number,
  events: number,
): EventLines {
  const ev = files.filter((f) => f.kind === 'events');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const contract = {
    input: sum(ev.map((f) => f.input)),
    accepted: sum(ev.map((f) => f.accepted)),
    quarantined: sum(ev.map((f) => f.quarantined)),
  };
  const rawEvents = (raw ?? []).filter((r) => r.kind === 'events');
  const inRaw = rawEvents.length > 0 && rawEvents.every((r) => r.oneRowPerLine);
  let lines: EventLines = { unit: 'rows', ...contract, duplicates, events };
  if (inRaw) {
    const converted = sum(rawEvents.map((r) => r.converted));
    if (converted !== contract.input)
      throw new CfmError(
        'CFM_E_RECONCILE',
        `the adapter converted ${converted} raw lines but the contract files hold ${contract.input} rows`,
        { file: rawEvents[0].file },
      );
    const refused = sum(rawEvents.map((r) => ('quarantine' in r ? r.quarantine.length : r.quarantined)));
    lines = {
      unit: 'raw lines',
      input: sum(rawEvents.map((r) => r.input)),
      accepted: contract.accepted,
      quarantined: contract.quarantined + refused,
      duplicates,
      events,
    };
  }
  if (lines.input !== lines.accepted + lines.quarantined || lines.accepted !== lines.events + lines.duplicates)
    throw new CfmError(
      'CFM_E_RECONCILE',
      `input ${lines.input} ${lines.unit} != events ${lines.events} + duplicates ${lines.duplicates} + quarantined ${lines.quarantined}`,
    );
  return lines;
}

/** Log each warning as `warning: …` and return them. */
export function logWarnings(warnings: PrepareWarning[], progress: ProgressReporter): PrepareWarning[] {
  for (const w of warnings) progress.log(`warning: ${w.message}`);
  return warnings;
}

/** What findWarnings looks at. */
export interface OutcomeFacts {
  /** customers per split */
  splitCustomers: Record<string, number>;
  /** events per raw item in the ranges the item vocabulary counted */
  itemCounts: Int32Array;
  /** items kept in the vocabulary (without the reserved tokens) */
  vocabItems: number;
  minItemCount: number;
  /** the events' times (epoch ms; the first n) */
  tsMs?: Float64Array;
  n: number;
  nowMs: number;
  /** the events more than futureAheadMs after nowMs, when counted already (else counted from tsMs) */
  future?: number;
}

/**
 * Valid but suspicious outcomes: an empty valid or test split; more than half the items counted for the vocabulary
 * mapped to [OOV] by `minItemCount`; times more than FUTURE_AHEAD_MS after now (they are plausible, or they would
 * have been quarantined).
 */
export function findWarnings(f: OutcomeFacts, futureAheadMs: number): PrepareWarning[] {
  const out: PrepareWarning[] = [];
  for (const part of ['valid', 'test'])
    if (f.splitCustomers[part] === 0)
      out.push({ code: 'empty-split', message: `the ${part} split is empty (no customer has a target in it)`, count: 0 });
  let seen = 0;
  for (let i = 0; i < f.itemCounts.length; i++) if (f.itemCounts[i] > 0) seen++;
  const collapsed = seen - f.vocabItems;
  if (f.minItemCount > 1 && collapsed * 2 > seen)
    out.push({
      code: 'vocab-collapsed',
      message: `minItemCount ${f.minItemCount} maps ${collapsed} of ${seen} items to [OOV]`,
      count: collapsed,
    });
  const limit = f.nowMs + futureAheadMs;
  let future = f.future ?? 0;
  if (f.future === undefined && f.tsMs) for (let k = 0; k < f.n; k++) if (f.tsMs[k] > limit) future++;
  if (future > 0)
    out.push({
      code: 'future-times',
      message: `${future} events are more than ${Math.round(futureAheadMs / 3_600_000)} h after the time of the run`,
      count: future,
    });
  return out;
}
