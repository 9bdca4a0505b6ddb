/** Session corpora for the downstream experiments: public session datasets through their @cfm/datasets
 * adapters (contract CSV files, read from CFM_DATA_DIR), or the simulator (sessions, queries, feed ads). */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfmError } from '@cfm/core';
import { getAdapter, parseCsvLine, resolveDataDir, resolveInside } from '@cfm/datasets';
import { simulate, type SimConfigInput } from '@cfm/simulator';
import { buildSessions } from '@cfm/model-session-heads';
import type { SessionSet } from '@cfm/model-session-heads';

export interface SearchEvent {
  /** session key (same index space as SessionCorpus.sessionKeys), time, shown items, clicked / ordered flags */
  session: number;
  ts: number;
  results: Int32Array;
  labels: Uint8Array;
}

export interface SessionCorpus {
  name: string;
  itemIds: string[];
  /** every session (repeated items collapsed), with its key */
  sessions: SessionSet;
  sessionKeys: Int32Array;
  /** per session event times (ms), aligned with sessions.items */
  times: Float64Array;
  /** per item category index (0 = none) */
  category: Int32Array;
  /** per item log price (NaN when unknown) */
  logPrice?: Float32Array;
  /** per item text / description vector [items, dim] */
  text?: { dim: number; values: Float32Array };
  /** search queries with their result lists (simulator) */
  searches?: SearchEvent[];
  /** feed ad requests with ordered labels (simulator) */
  ads?: SearchEvent[];
}

interface Row {
  session: string;
  item: string;
  ts: number;
  buy: boolean;
}

class Index {
  readonly ids: string[] = [];
  readonly map = new Map<string, number>();
  get(id: string): number {
    let i = this.map.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.map.set(id, i);
      this.ids.push(id);
    }
    return i;
  }
}

function fromRows(name: string, rows: Row[], items: Index): Omit<SessionCorpus, 'category'> {
  const sessions = new Index();
  const order = rows.map((r, i) => ({ r, i, s: sessions.get(r.session) })).sort((a, b) => a.s - b.s || a.r.ts - b.r.ts || a.i - b.i);
  const cols = {
    session: order.map((o) => o.s),
    item: order.map((o) => items.get(o.r.item)),
    buy: order.map((o) => (o.r.buy ? 1 : 0)),
    ts: order.map((o) => o.r.ts),
  };
  const set = buildSessions(cols);
  // session keys and per-event times, following buildSessions' collapsing of repeated items
  const keys: number[] = [],
    times: number[] = [];
  let prevSession = -1,
    prevItem = -1;
  for (let i = 0; i < cols.session.length; i++) {
    if (cols.session[i] !== prevSession) keys.push(cols.session[i]);
    if (cols.session[i] !== prevSession || cols.item[i] !== prevItem) times.push(cols.ts[i]);
    prevSession = cols.session[i];
    prevItem = cols.item[i];
  }
  return { name, itemIds: items.ids, sessions: set, sessionKeys: Int32Array.from(keys), times: Float64Array.from(times) };
}

/** diginetica-cikm2016 / taobao-userbehavior-sample (or any adapter whose events carry sessions or times):
 * sessions = the source's session ids, else 30-minute inactivity gaps per customer. */
export async function loadAdapterCorpus(dataset: string, dataDir?: string): Promise<SessionCorpus> {
  const adapter = getAdapter(dataset);
  const folder = resolveInside(resolveDataDir(dataDir), adapter.folder);
  const work = await mkdtemp(join(tmpdir(), `cfm-sh-${dataset}-`));
  try {
    const src = await adapter.toContract(folder, work);
    const rows: Row[] = [];
    for (const file of src.events) {
      const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
      const head = parseCsvLine(lines[0], ',');
      const col = (n: string) => head.indexOf(n);
      const [c, it, ts, ty, se] = ['customer_id', 'item_id', 'ts', 'event_type', 'session_id'].map(col);
      for (let i = 1; i < lines.length; i++) {
        const f = parseCsvLine(lines[i], ',');
        const t = Number(f[ts]);
        if (!f[it] || !Number.isFinite(t))
          throw new CfmError('CFM_E_ROW_SCHEMA', 'missing item or time', { file, row: i, field: f[it] ? 'ts' : 'item_id' });
        rows.push({ session: se >= 0 && f[se] ? `s:${f[se]}` : `c:${f[c]}`, item: f[it], ts: t, buy: f[ty] === 'purchase' });
      }
    }
    // no session ids: split each customer's events at 30-minute gaps
    const byKey = new Map<string, Row[]>();
    for (const r of rows) (byKey.get(r.session) ?? byKey.set(r.session, []).get(r.session)!).push(r);
    for (const [key, rs] of byKey) {
      if (!key.startsWith('c:')) continue;
      rs.sort((a, b) => a.ts - b.ts);
      let k = 0;
      rs.forEach((r, i) => (i && r.ts - rs[i - 1].ts > 30 * 60_000 && k++, (r.session = `${key}#${k}`)));
    }
    const items = new Index();
    const corpus = fromRows(dataset, rows, items);
    const category = new Int32Array(items.ids.length);
    const cats = new Index();
    cats.get('');
    if (src.items) {
      const lines = (await readFile(src.items, 'utf8')).split('\n').filter((l) => l.trim());
      const head = parseCsvLine(lines[0], ',');
      const [ic, cc] = [head.indexOf('item_id'), head.indexOf('category_1')];
      for (let i = 1; i < lines.length; i++) {
        const f = parseCsvLine(lines[i], ',');
        const k = items.map.get(f[ic]);
        if (k !== undefined && f[cc]) category[k] = cats.get(f[cc]);
      }
    }
    return { ...corpus, category };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The simulator in memory: browse / search / feed sessions, item text vectors and prices, search queries
 * (results in the non-personal order, clicked item) and logged feed requests (ordered labels). */
export function simulatorCorpus(config: SimConfigInput): SessionCorpus {
  const sim = simulate(config);
  const items = new Index();
  for (const it of sim.items) items.get(it.itemId);
  const rows: Row[] = sim.events
    .filter((e) => e.type === 'view' || e.type === 'purchase')
    .map((e) => ({ session: `${e.customerId}/${e.sessionId}`, item: e.itemId, ts: e.ts, buy: e.type === 'purchase' }));
  const corpus = fromRows('simulator', rows, items);
  const n = items.ids.length;
  const cats = new Index();
  cats.get('');
  const category = Int32Array.from(sim.items, (it) => cats.get(it.categories.join('/')));
  const logPrice = Float32Array.from(sim.items, (it) => (it.price ? Math.log(it.price) : NaN));
  const dim = sim.items[0].textEmbedding?.length ?? 0;
  const text = dim ? { dim, values: Float32Array.from(sim.items.flatMap((it) => it.textEmbedding ?? new Array(dim).fill(0))) } : undefined;
  const keyOf = new Map<string, number>();
  rows.forEach((r) => keyOf.has(r.session) || keyOf.set(r.session, keyOf.size));
  // session keys in fromRows are first-appearance indices of the row order, as here
  const searches = sim.queries
    .filter((q) => keyOf.has(`${q.customerId}/${q.sessionId}`))
    .map((q) => ({
      session: keyOf.get(`${q.customerId}/${q.sessionId}`)!,
      ts: q.ts,
      results: Int32Array.from(q.results, (r) => items.get(r)),
      labels: Uint8Array.from(q.results, (r) => (r === q.clickedItemId ? 1 : 0)),
    }));
  const ads = groupAds(sim.impressions, items, keyOf, corpus.sessions.start);
  if (items.ids.length !== n)
    throw new CfmError('CFM_E_DATASET', 'simulator events name items outside its catalogue', { field: 'item_id' });
  return { ...corpus, category, logPrice, text, searches, ads };
}

/** feed requests → the customer's session running at the request (the latest one started before it) */
function groupAds(
  imps: ReturnType<typeof simulate>['impressions'],
  items: Index,
  keyOf: Map<string, number>,
  start: Float64Array,
): SearchEvent[] {
  const byCustomer = new Map<string, Array<{ start: number; key: number }>>();
  for (const [name, key] of keyOf) {
    const cust = name.slice(0, name.indexOf('/'));
    (byCustomer.get(cust) ?? byCustomer.set(cust, []).get(cust)!).push({ start: start[key], key });
  }
  for (const list of byCustomer.values()) list.sort((a, b) => a.start - b.start);
  const reqs = new Map<string, typeof imps>();
  for (const im of imps) (reqs.get(im.requestId) ?? reqs.set(im.requestId, []).get(im.requestId)!).push(im);
  const out: SearchEvent[] = [];
  for (const rs of reqs.values()) {
    const cur = byCustomer
      .get(rs[0].customerId)
      ?.filter((x) => x.start <= rs[0].ts)
      .pop();
    if (!cur) continue;
    rs.sort((a, b) => a.position - b.position);
    out.push({
      session: cur.key,
      ts: rs[0].ts,
      results: Int32Array.from(rs, (r) => items.get(r.itemId)),
      labels: Uint8Array.from(rs, (r) => (r.ordered ? 1 : 0)),
    });
  }
  return out;
}
