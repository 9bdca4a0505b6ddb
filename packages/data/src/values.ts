/**
 * Rules for single values shared by the readers (docs/data.md, "Validation"): null tokens, control characters in
 * ids, plausible times, and the short escaped snippet that is all an error message may show of a file's content.
 */
import { NULL_TOKENS, type TsUnit } from './config';
import { sqlString } from './db';

/** Numeric times before this are implausible (1990-01-01 UTC). */
export const PLAUSIBLE_FROM_MS = Date.UTC(1990, 0, 1);
/** Numeric times more than this after now are implausible. */
export const PLAUSIBLE_AHEAD_MS = 365 * 86_400_000;
/** Times more than this after now, but plausible, are counted in a warning (far-future times). */
export const FUTURE_AHEAD_MS = 86_400_000;

/** The window a numeric time must fall in, as epoch ms, and the `now` it was taken at. */
export interface TimeRules {
  unit: TsUnit;
  /** [PLAUSIBLE_FROM_MS, now + PLAUSIBLE_AHEAD_MS] */
  window: [number, number];
  nowMs: number;
}

export function timeRules(unit: TsUnit = 'ms', nowMs = Date.now()): TimeRules {
  return { unit, window: [PLAUSIBLE_FROM_MS, nowMs + PLAUSIBLE_AHEAD_MS], nowMs };
}

/** SQL: the units (of s, ms, us) under which the number `v` is a plausible time, else 'none' (first that fits). */
export function fitsUnitSql(v: string, window: [number, number]): string {
  const [lo, hi] = window;
  return `CASE WHEN ${v} * 1000 BETWEEN ${lo} AND ${hi} THEN 's' WHEN ${v} BETWEEN ${lo} AND ${hi} THEN 'ms'
    WHEN ${v} / 1000 BETWEEN ${lo} AND ${hi} THEN 'us' WHEN ${v} / 1000000 BETWEEN ${lo} AND ${hi} THEN 'ns' ELSE 'none' END`;
}

/** The null tokens of a config, always with ''. */
export function nullTokens(tokens: readonly string[] = NULL_TOKENS): string[] {
  return [...new Set(['', ...tokens])];
}

/** SQL list literal of strings. */
export const sqlList = (xs: readonly string[]) => (xs.length ? `[${xs.map(sqlString).join(', ')}]` : '[]::VARCHAR[]');

/** SQL: whether the (trimmed) value `c` is a null token. */
export const isNullToken = (c: string, tokens: readonly string[]) => `list_contains(${sqlList(tokens)}, trim(${c}))`;

/** SQL: `c`, NULL when it is a null token after trimming. */
export const unlessNullToken = (c: string, tokens: readonly string[]) => `CASE WHEN ${isNullToken(c, tokens)} THEN NULL ELSE ${c} END`;

/** SQL: whether `c` holds a control character (C0, DEL or C1: U+0000–U+001F, U+007F–U+009F). */
export const hasControl = (c: string) => `regexp_matches(${c}, '[\\x00-\\x1f\\x7f-\\x9f]')`;

/** JS: the same test as hasControl. */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/**
 * At most `max` characters of file content for an error message: control characters and backslashes escaped
 * (\n, \t, \xNN, \u00NN), and '…' when cut.
 */
export function snippet(text: string, max = 60): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const e =
      ch === '\\'
        ? '\\\\'
        : ch === '\n'
          ? '\\n'
          : ch === '\r'
            ? '\\r'
            : ch === '\t'
              ? '\\t'
              : c < 0x20 || (c >= 0x7f && c <= 0x9f)
                ? `\\x${c.toString(16).padStart(2, '0')}`
                : ch === '\ufffd'
                  ? '\\ufffd'
                  : ch;
    if (out.length + e.length > max) return `${out}…`;
    out += e;
  }
  return out;
}
