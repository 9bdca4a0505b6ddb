/** Candidate lists from co-occurrence counts with a trigger item (MeLi §7.2.2), and ranking queries. */
import { sessionCount } from '@cfm/model-session-heads';
import type { SessionSet } from '@cfm/model-session-heads';

/** Pairs of distinct items in the same session (each pair once per session), from the given sessions. */
export class CoCounts {
  private readonly pairs = new Map<number, Map<number, number>>();
  readonly popularity: Int32Array;
  private readonly popular: Int32Array;
  constructor(
    s: SessionSet,
    readonly items: number,
  ) {
    this.popularity = new Int32Array(items);
    for (let k = 0; k < sessionCount(s); k++) {
      const distinct = [...new Set(s.items.subarray(s.offsets[k], s.offsets[k + 1]))];
      for (const a of distinct) {
        this.popularity[a]++;
        let row = this.pairs.get(a);
        if (!row) this.pairs.set(a, (row = new Map()));
        for (const b of distinct) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
    this.popular = Int32Array.from(
      Array.from({ length: items }, (_, i) => i)
        .sort((a, b) => this.popularity[b] - this.popularity[a] || a - b)
        .slice(0, 1000),
    );
  }
  /** sessions in which `a` and `b` both occur */
  count(a: number, b: number): number {
    return this.pairs.get(a)?.get(b) ?? 0;
  }
  /** the `k` items co-occurring most with `trigger` (ties: more popular first), filled up with popular items */
  top(trigger: number, k: number): Int32Array {
    const row = this.pairs.get(trigger);
    const list = row
      ? [...row.entries()]
          .sort((a, b) => b[1] - a[1] || this.popularity[b[0]] - this.popularity[a[0]] || a[0] - b[0])
          .slice(0, k)
          .map((e) => e[0])
      : [];
    const have = new Set(list);
    for (let i = 0; i < this.popular.length && list.length < k; i++)
      if (this.popular[i] !== trigger && !have.has(this.popular[i])) list.push(this.popular[i]);
    return Int32Array.from(list);
  }
}

/** One ranking query: a session prefix, the candidates shown, their labels. */
export interface Query {
  session: number;
  /** events of the session before the decision */
  prefixLen: number;
  candidates: Int32Array;
  labels: Uint8Array;
  /** a positive candidate occurs in the prefix */
  seen: boolean;
}

export function prefixOf(s: SessionSet, q: Pick<Query, 'session' | 'prefixLen'>): Int32Array {
  return s.items.subarray(s.offsets[q.session], s.offsets[q.session] + q.prefixLen);
}

export function isSeen(prefix: Int32Array, candidates: Int32Array, labels: Uint8Array): boolean {
  const p = new Set(prefix);
  return candidates.some((c, j) => labels[j] === 1 && p.has(c));
}

/** Order of a next-item candidate list: `session` = the session's own items first (most recent first), then the
 * co-occurring ones, so a list position tells whether (and how recently) the candidate was seen; `cocount` = the
 * same set sorted by co-occurrence with the trigger (then popularity, then id), the paper's list "derived from
 * co-counts", where the position says nothing about the session. */
export type CandidateOrder = 'session' | 'cocount';

/** Next-item queries: target = the last item of each session (≥ 2 events), candidates = the session's earlier
 * items (trigger excluded) when `withSession`, then the items co-occurring most with the previous item (the
 * trigger), k in all, in the given `order`. */
export function nextItemQueries(
  s: SessionSet,
  sessions: ArrayLike<number>,
  counts: CoCounts,
  k: number,
  withSession = true,
  order: CandidateOrder = 'session',
): Query[] {
  const out: Query[] = [];
  for (let i = 0; i < sessions.length; i++) {
    const session = sessions[i];
    const n = s.offsets[session + 1] - s.offsets[session];
    if (n < 2) continue;
    const target = s.items[s.offsets[session + 1] - 1];
    const prefixLen = n - 1;
    const trigger = s.items[s.offsets[session] + prefixLen - 1];
    const own = withSession
      ? [...new Set(Array.from(prefixOf(s, { session, prefixLen })).reverse())].filter((x) => x !== trigger).slice(0, k)
      : [];
    const have = new Set(own);
    const list = [...own, ...Array.from(counts.top(trigger, k)).filter((x) => !have.has(x))].slice(0, k);
    if (order === 'cocount')
      list.sort((x, y) => counts.count(trigger, y) - counts.count(trigger, x) || counts.popularity[y] - counts.popularity[x] || x - y);
    const candidates = Int32Array.from(list);
    const labels = Uint8Array.from(candidates, (c) => (c === target ? 1 : 0));
    out.push({ session, prefixLen, candidates, labels, seen: prefixOf(s, { session, prefixLen }).includes(target) });
  }
  return out;
}
