/** The session-heads quality suite (`npm run bench:quality -- session-heads`): on each corpus, sessions in
 * time order are split 60 / 20 / 20 into pre-training, downstream-train and test; MA and GRU models are
 * pre-trained on the first part; next-item (co-occurrence candidates), search and product-ads tasks are
 * ranked by a GBDT per feature combination. */
import { lineProgress, type ProgressReporter } from '@cfm/core';
import { subset } from '@cfm/model-session-heads';
import type { SessionHeadsConfig } from '@cfm/model-session-heads';
import { CoCounts, isSeen, nextItemQueries, type CandidateOrder, type Query } from './candidates';
import { loadAdapterCorpus, simulatorCorpus, type SearchEvent, type SessionCorpus } from './corpus';
import { corpusAttributes, pretrain, runTask, type ComboResult } from './experiment';

export interface BenchOptions {
  dataset: string;
  seed: number;
  /** candidates per next-item query */
  k?: number;
  /** next-item candidate order (default `session`: the session's own items first) */
  order?: CandidateOrder;
  config?: Partial<SessionHeadsConfig>;
  /** simulator size */
  simCustomers?: number;
  /** simulator: mean views in a search session before its query (default 3; 0 = the query opens the session,
   * which leaves the search task no session prefix to personalise from) */
  searchViewsBefore?: number;
  /** simulator: mean item views of a browse session (geometric; simulator default 7 ≈ median 5; MeLi-Sessions,
   * the paper's in-house data, has a median of 12 interactions ≈ mean 17) */
  meanViews?: number;
  progress?: ProgressReporter;
}

export interface BenchTable {
  dataset: string;
  task: string;
  results: ComboResult[];
}

function searchQueries(c: SessionCorpus, events: SearchEvent[], sessions: Set<number>, maxCandidates: number): Query[] {
  const s = c.sessions;
  const out: Query[] = [];
  for (const e of events) {
    if (!sessions.has(e.session)) continue;
    let prefixLen = 0;
    for (let i = s.offsets[e.session]; i < s.offsets[e.session + 1] && c.times[i] < e.ts; i++) prefixLen++;
    const candidates = e.results.slice(0, maxCandidates);
    const labels = e.labels.slice(0, maxCandidates);
    out.push({
      session: e.session,
      prefixLen,
      candidates,
      labels,
      seen: isSeen(s.items.subarray(s.offsets[e.session], s.offsets[e.session] + prefixLen), candidates, labels),
    });
  }
  return out.sort((a, b) => s.start[a.session] - s.start[b.session]);
}

export async function runBench(o: BenchOptions): Promise<BenchTable[]> {
  const progress = o.progress ?? lineProgress((l) => process.stderr.write(l + '\n'), 30_000);
  const corpus =
    o.dataset === 'simulator'
      ? simulatorCorpus({
          customers: o.simCustomers ?? 1500,
          items: 3000,
          seed: o.seed,
          search: { viewsBefore: o.searchViewsBefore ?? 3 },
          ...(o.meanViews ? { sessions: { meanViews: o.meanViews } } : {}),
        })
      : await loadAdapterCorpus(o.dataset);
  const s = corpus.sessions;
  const n = s.offsets.length - 1;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s.start[a] - s.start[b] || a - b);
  const [a, b] = [Math.round(0.6 * n), Math.round(0.8 * n)];
  const [preIdx, downIdx, testIdx] = [order.slice(0, a), order.slice(a, b), order.slice(b)];
  const pre = subset(s, preIdx);
  progress.log(
    `${corpus.name}: ${corpus.itemIds.length} items, ${n} sessions (${preIdx.length} pre-train / ${downIdx.length} downstream / ${testIdx.length} test)`,
  );
  const config = { seed: o.seed, ...o.config };
  const attrs = corpusAttributes(corpus, pre, { idDim: config.idDim ?? 32, window: config.cooccurrenceWindow ?? 3, seed: o.seed });
  const models = await pretrain(corpus, pre, attrs, config, progress);
  const tables: BenchTable[] = [];
  try {
    const counts = new CoCounts(pre, corpus.itemIds.length);
    const k = o.k ?? 50;
    const task = async (name: string, train: Query[], test: Query[], metric: 'mrr' | 'auc') => {
      progress.log(`${corpus.name} ${name}: ${train.length} train / ${test.length} test queries`);
      tables.push({
        dataset: corpus.name,
        task: name,
        results: await runTask({ corpus, train, test, attrs, models, metric, seed: o.seed, progress }),
      });
    };
    await task(
      'next-item',
      nextItemQueries(s, downIdx, counts, k, true, o.order),
      nextItemQueries(s, testIdx, counts, k, true, o.order),
      'mrr',
    );
    if (corpus.searches?.length)
      await task(
        'search',
        searchQueries(corpus, corpus.searches, new Set(downIdx), k),
        searchQueries(corpus, corpus.searches, new Set(testIdx), k),
        'mrr',
      );
    if (corpus.ads?.length)
      await task(
        'product-ads',
        searchQueries(corpus, corpus.ads, new Set(downIdx), k),
        searchQueries(corpus, corpus.ads, new Set(testIdx), k),
        'auc',
      );
  } finally {
    models.GRU.dispose();
    models.MA.dispose();
  }
  return tables;
}

/** relative gain in % of `a` over `b` */
export const gain = (a: number, b: number): number => (100 * (a - b)) / b;

/** the paper-style table: every combination with All / Seen / Not seen (or AUC), gains of adding SCID */
export function formatTable(t: BenchTable): string[] {
  const by = Object.fromEntries(t.results.map((r) => [r.name, r.metrics]));
  const isAuc = 'auc' in t.results[0].metrics;
  const cols = isAuc ? ['auc'] : ['mrr', 'mrr-seen', 'mrr-not-seen'];
  const lines = [`| ${t.dataset} ${t.task} | ${isAuc ? 'ROC-AUC' : 'All | Seen | Not seen'} |`, `|---|${cols.map(() => '---').join('|')}|`];
  const withGain: Record<string, string> = { 'BL+MA+SCID(MA)': 'BL+MA', 'BL+GRU+SCID(GRU)': 'BL+GRU' };
  for (const r of t.results)
    lines.push(
      `| ${r.name} | ${cols.map((c) => r.metrics[c].toFixed(4) + (withGain[r.name] ? ` (${gain(r.metrics[c], by[withGain[r.name]][c]) >= 0 ? '+' : ''}${gain(r.metrics[c], by[withGain[r.name]][c]).toFixed(1)})` : '')).join(' | ')} |`,
    );
  return lines;
}
