/** Date parts of a purchase (§3: year, month, day of month, day of week, hour), as ids of small fixed
 * vocabularies that start after the reserved ids ([PAD] 0, [MASK] 1, [CLS] 2, [OOV] 3). UTC. */
import { RESERVED_IDS, RESERVED_TOKENS } from '@cfm/core';
import type { DatePart } from './config';

export interface DateVocab {
  yearMin: number;
  yearCount: number;
}

/** vocabulary size of a date part, reserved ids included */
export function dateVocabSize(part: DatePart, v: DateVocab): number {
  const n = { year: v.yearCount, month: 12, day: 31, weekday: 7, hour: 24 }[part];
  return RESERVED_IDS + n;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** token labels of a date part's vocabulary, reserved tokens first (id j = token j): 'year=1990',
 * 'month=01'..'month=12', 'day=01'..'day=31', 'weekday=0' (Sunday)..'weekday=6', 'hour=00'..'hour=23' */
export function dateTokens(part: DatePart, v: DateVocab): string[] {
  const n = dateVocabSize(part, v) - RESERVED_IDS;
  const label = (i: number) =>
    part === 'year' ? String(v.yearMin + i) : part === 'weekday' ? String(i) : pad2(part === 'hour' ? i : i + 1);
  return [...RESERVED_TOKENS, ...Array.from({ length: n }, (_, i) => `${part}=${label(i)}`)];
}

/** id of `part` for an event at epoch seconds `t` */
export function dateId(part: DatePart, t: number, v: DateVocab): number {
  const d = new Date(t * 1000);
  if (part === 'year') return RESERVED_IDS + Math.min(v.yearCount - 1, Math.max(0, d.getUTCFullYear() - v.yearMin));
  if (part === 'month') return RESERVED_IDS + d.getUTCMonth();
  if (part === 'day') return RESERVED_IDS + d.getUTCDate() - 1;
  if (part === 'weekday') return RESERVED_IDS + d.getUTCDay();
  return RESERVED_IDS + d.getUTCHours();
}

/** ids of every part for times [n] (epoch seconds); NaN times (unknown) give [OOV] */
export function dateIds(parts: readonly DatePart[], times: ArrayLike<number>, v: DateVocab): Record<string, Int32Array> {
  const out: Record<string, Int32Array> = {};
  for (const p of parts)
    out[p] = Int32Array.from({ length: times.length }, (_, i) => (Number.isFinite(times[i]) ? dateId(p, times[i], v) : RESERVED_IDS - 1));
  return out;
}
