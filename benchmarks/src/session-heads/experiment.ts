/** The Tables 2–4 analogue: pre-train MA and GRU session-heads models on the earliest sessions, then for
 * every feature combination train a GBDT (XGBoost) on later queries and report MRR all / seen / not seen
 * (ranking tasks) or ROC-AUC (product ads) on the latest queries. */
import { silentProgress, type ProgressReporter } from '@cfm/core';
import { auc, evaluateGroups, mean, pick } from '@cfm/eval';
import { trainGbdt } from '@cfm/gbdt';
import { categoryMeans, cooccurrenceVectors, SessionHeadsConfig, SessionHeadsModel, standardize, subset } from '@cfm/model-session-heads';
import type { ItemAttributes, SessionSet } from '@cfm/model-session-heads';
import { baselineBlock, concatBlocks, modelBlocks, rankCtr, rowCount, type Block } from './features';
import type { Query } from './candidates';
import type { SessionCorpus } from './corpus';

export const COMBOS: Array<{ name: string; blocks: string[] }> = [
  { name: 'BL', blocks: ['BL'] },
  { name: 'MA', blocks: ['MA'] },
  { name: 'GRU', blocks: ['GRU'] },
  { name: 'SCID(GRU)', blocks: ['SCID-GRU'] },
  { name: 'SCID(MA)', blocks: ['SCID-MA'] },
  { name: 'BL+MA', blocks: ['BL', 'MA'] },
  { name: 'BL+GRU', blocks: ['BL', 'GRU'] },
  { name: 'BL+SCID(GRU)', blocks: ['BL', 'SCID-GRU'] },
  { name: 'BL+SCID(MA)', blocks: ['BL', 'SCID-MA'] },
  { name: 'BL+MA+SCID(MA)', blocks: ['BL', 'MA', 'SCID-MA'] },
  { name: 'BL+GRU+SCID(GRU)', blocks: ['BL', 'GRU', 'SCID-GRU'] },
];

export const GBDT_ROUNDS = 200;

export interface ComboResult {
  name: string;
  metrics: Record<string, number>;
  rounds: number;
}

/** φ from the pre-training sessions: text (when the data has it) else product-id vectors from co-occurrence,
 * category = mean of those vectors over its items, standardised log price when known. */
export function corpusAttributes(
  c: SessionCorpus,
  pretrain: SessionSet,
  o: { idDim: number; window: number; seed: number },
): ItemAttributes {
  const items = c.itemIds.length;
  const base = c.text
    ? { name: 'text', kind: 'vector' as const, dim: c.text.dim, values: c.text.values }
    : {
        name: 'id',
        kind: 'vector' as const,
        dim: o.idDim,
        values: cooccurrenceVectors(pretrain, items, { dim: o.idDim, window: o.window, seed: o.seed }),
      };
  const attributes: ItemAttributes['attributes'] = [
    base,
    { name: 'category', kind: 'vector', dim: base.dim, values: categoryMeans(base.values, base.dim, c.category) },
  ];
  if (c.logPrice) attributes.push({ name: 'price', kind: 'scalar', dim: 1, values: standardize(c.logPrice) });
  return { items, attributes };
}

export async function pretrain(
  c: SessionCorpus,
  sessions: SessionSet,
  attrs: ItemAttributes,
  config: Partial<SessionHeadsConfig>,
  progress: ProgressReporter,
): Promise<Record<'MA' | 'GRU', SessionHeadsModel>> {
  const out = {} as Record<'MA' | 'GRU', SessionHeadsModel>;
  for (const [name, encoder] of [
    ['GRU', 'gru'],
    ['MA', 'ma'],
  ] as const) {
    const m = new SessionHeadsModel(
      SessionHeadsConfig.parse({ ...config, encoder }),
      attrs.attributes.map(({ name: n, kind, dim }) => ({ name: n, kind, dim })),
      attrs.items,
      `${c.name}-items`,
    );
    m.progress = progress;
    m.setAttributes(attrs);
    progress.log(`pre-training ${name} on ${sessions.offsets.length - 1} sessions`);
    const r = await m.fitSessions(sessions);
    progress.log(`${name}: ${r.epochs} epochs, best valid balanced loss ${m.metrics.valid_balanced_loss?.toFixed(4)}`);
    out[name] = m;
  }
  return out;
}

/** one row per query group; MRR of the first positive (0 when none is among the candidates) */
function mrrMetrics(scores: Float32Array, qs: Query[]): Record<string, number> {
  const offsets = new Int32Array(qs.length + 1);
  qs.forEach((q, i) => (offsets[i + 1] = offsets[i] + q.candidates.length));
  const labels = new Uint8Array(offsets[qs.length]);
  qs.forEach((q, i) => labels.set(q.labels, offsets[i]));
  const k = Math.max(...qs.map((q) => q.candidates.length));
  const per = evaluateGroups({ scores, labels, offsets, k: [k], keepEmpty: true }).perGroup[`mrr@${k}`];
  const rows = (f: (q: Query) => boolean) => Int32Array.from(qs.flatMap((q, i) => (f(q) ? [i] : [])));
  const seen = rows((q) => q.seen),
    notSeen = rows((q) => !q.seen);
  return {
    mrr: mean(per),
    'mrr-seen': mean(pick(per, seen)),
    'mrr-not-seen': mean(pick(per, notSeen)),
    queries: qs.length,
    seen: seen.length,
    covered: qs.filter((q) => q.labels.some((l) => l)).length,
  };
}

export interface TaskInput {
  corpus: SessionCorpus;
  /** sessions used to pre-train and to build the queries (the query sessions may extend past pretrain) */
  train: Query[];
  test: Query[];
  attrs: ItemAttributes;
  models: Record<'MA' | 'GRU', SessionHeadsModel>;
  metric: 'mrr' | 'auc';
  seed: number;
  progress?: ProgressReporter;
  combos?: typeof COMBOS;
}

/** feature blocks for train and test queries, then one GBDT per combination */
export async function runTask(t: TaskInput): Promise<ComboResult[]> {
  const progress = t.progress ?? silentProgress;
  const s = t.corpus.sessions;
  const ctr = rankCtr(t.train, Math.max(...t.train.concat(t.test).map((q) => q.candidates.length)));
  const blocks = (qs: Query[]): Record<string, Block> => {
    const out: Record<string, Block> = { BL: baselineBlock(qs, t.attrs, ctr) };
    for (const name of ['MA', 'GRU'] as const) {
      const b = modelBlocks(t.models[name], s, qs, t.attrs);
      out[name] = b.state;
      out[`SCID-${name}`] = b.scid;
    }
    return out;
  };
  // GBDT train rows: ranking groups need a positive. A fixed number of rounds: early stopping on a held-out
  // fifth of these few hundred queries stopped most combinations after 1 round
  const fit = t.metric === 'mrr' ? t.train.filter((q) => q.labels.some((l) => l)) : t.train;
  const [bf, bt] = [blocks(fit), blocks(t.test)];
  const labels = (qs: Query[]) => Float32Array.from(qs.flatMap((q) => Array.from(q.labels)));
  const groups = (qs: Query[]) => Uint32Array.from(qs, (q) => q.candidates.length);
  const results: ComboResult[] = [];
  for (const combo of t.combos ?? COMBOS) {
    const [xf, xt] = [bf, bt].map((b, i) =>
      concatBlocks(
        combo.blocks.map((n) => b[n]),
        rowCount([fit, t.test][i]),
      ),
    );
    const model = await trainGbdt({
      features: xf.values,
      rows: rowCount(fit),
      cols: xf.cols,
      labels: labels(fit),
      groups: t.metric === 'mrr' ? groups(fit) : undefined,
      params: {
        objective: t.metric === 'mrr' ? 'rank:pairwise' : 'binary:logistic',
        rounds: GBDT_ROUNDS,
        eta: 0.05,
        maxDepth: 4,
        minChildWeight: 1,
        subsample: 0.8,
        colsampleBytree: 0.8,
        seed: t.seed,
        nthread: 2,
      },
    });
    const scores = model.predict(xt.values, rowCount(t.test));
    model.dispose();
    const metrics = t.metric === 'mrr' ? mrrMetrics(scores, t.test) : { auc: auc(scores, labels(t.test)), rows: rowCount(t.test) };
    results.push({ name: combo.name, metrics, rounds: GBDT_ROUNDS });
    progress.log(
      `${combo.name}: ${Object.entries(metrics)
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join(' ')}`,
    );
  }
  return results;
}

export { subset };
