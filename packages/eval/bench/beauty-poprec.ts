/** Acceptance run of the evaluation protocols on a real dataset: PopRec on S3-Rec Amazon Beauty
 * (22,363 customers x 12,101 items), leave-one-out, full ranking and 99 uniform negatives, compared with
 * the S3-Rec paper's PopRec row. Usage: npx tsx packages/eval/bench/beauty-poprec.ts [seeds=5] */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfmError, createRng, lineProgress, runtimeOptions } from '@cfm/core';
import {
  RankingAccumulator,
  buildSampledCandidates,
  coldHeavySegments,
  evaluateRanking,
  evaluateSegments,
  formatReport,
  historyLengths,
  itemPopularity,
  pairedTest,
  seenTargetSegments,
  summarizeRuns,
} from '../src';

const dataDir = runtimeOptions().CFM_DATA_DIR ?? resolve(__dirname, '../../../../shared/datasets');
const file = join(dataDir, 's3rec', 'Beauty.txt');

function load() {
  const offsets = [0],
    items: number[] = [],
    targets: number[] = [],
    trainItems: number[] = [],
    allItems: number[] = [];
  let maxItem = 0;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const ids = line.trim().split(/\s+/).slice(1).map(Number);
      const bad = ids.findIndex((x) => !Number.isInteger(x) || x < 1);
      if (bad >= 0 || ids.length < 3)
        throw new CfmError(
          'CFM_E_ROW_SCHEMA',
          bad >= 0 ? `item "${line.split(/\s+/)[bad + 1]}" is not a positive integer` : 'fewer than 3 items',
          { file, row: i + 1, field: 'items' },
        );
      // leave-one-out: last = test target, all before it = history; popularity from the train part (all but the last two)
      items.push(...ids.slice(0, -1));
      offsets.push(items.length);
      targets.push(ids[ids.length - 1]);
      trainItems.push(...ids.slice(0, -2));
      allItems.push(...ids);
      maxItem = Math.max(maxItem, ...ids);
    });
  return {
    history: { offsets: Int32Array.from(offsets), ids: Int32Array.from(items) },
    targets: Int32Array.from(targets),
    itemCount: maxItem + 1,
    trainItems: Int32Array.from(trainItems),
    allItems: Int32Array.from(allItems),
  };
}

function main() {
  const seeds = Array.from({ length: Number(process.argv[2] ?? 5) }, (_, i) => i + 1);
  const t0 = performance.now();
  const { history, targets, itemCount, trainItems, allItems } = load();
  const rows = targets.length;
  const pop = itemPopularity(trainItems, itemCount);
  // what the S3-Rec PopRec row matches: counts over every interaction, test targets included (leaks the target)
  const popAll = itemPopularity(allItems, itemCount);
  const popScores = Float32Array.from(pop);
  console.log(`loaded ${rows} customers, ${itemCount - 1} items in ${(performance.now() - t0).toFixed(0)} ms`);

  // full ranking: every row scores all items (column 0 = padding, dropped), own history excluded
  const progress = lineProgress();
  const batch = 1024;
  const full: Record<string, RankingAccumulator> = {};
  let rankMs = 0;
  for (const ties of ['pessimistic', 'average'] as const) {
    const acc = (full[ties] = new RankingAccumulator({ k: [5, 10, 20], ties }));
    progress.start(`full ranking (${ties})`, rows);
    const scores = new Float32Array(batch * itemCount);
    for (let s = 0; s < rows; s += batch) {
      const n = Math.min(batch, rows - s);
      for (let r = 0; r < n; r++) scores.set(popScores, r * itemCount);
      const t = performance.now();
      acc.add({
        scores: scores.subarray(0, n * itemCount),
        cols: itemCount,
        targets: targets.subarray(s, s + n),
        exclude: { offsets: history.offsets.subarray(s, s + n + 1), ids: history.ids },
        excludeAll: Int32Array.of(0),
      });
      if (ties === 'pessimistic') rankMs += performance.now() - t;
      progress.update({ step: `full ranking (${ties})`, done: s + n, total: rows });
    }
    progress.finish(`full ranking (${ties})`);
  }
  const fullP = full.pessimistic.result();
  console.log(`full ranking ${rows} x ${itemCount} (exclude history): ${rankMs.toFixed(0)} ms ranking time`);

  // sampled: target + 99 uniform negatives the customer never interacted with, one draw per seed
  const runs: Array<Record<string, number>> = [];
  const runsAll: Array<Record<string, number>> = [];
  const random: Array<Record<string, number>> = [];
  let sampleMs = 0;
  let lastPop: Float64Array | undefined, lastRandom: Float64Array | undefined;
  for (const seed of seeds) {
    const t = performance.now();
    const cands = buildSampledCandidates({ targets, history, itemCount, protocol: { kind: 'uniform', count: 99, seed }, firstItem: 1 });
    sampleMs += performance.now() - t;
    const scores = Float32Array.from(cands, (c) => pop[c]);
    const zeros = new Int32Array(rows);
    const r = evaluateRanking({
      scores,
      cols: 100,
      targets: zeros,
      k: [1, 5, 10],
      ties: 'average',
      metrics: ['hr@1', 'hr@5', 'ndcg@5', 'hr@10', 'ndcg@10', 'mrr'],
    });
    runs.push(r.metrics);
    runsAll.push(
      evaluateRanking({
        scores: Float32Array.from(cands, (c) => popAll[c]),
        cols: 100,
        targets: zeros,
        k: [1, 5, 10],
        ties: 'average',
        metrics: ['hr@1', 'hr@5', 'ndcg@5', 'hr@10', 'ndcg@10', 'mrr'],
      }).metrics,
    );
    const rng = createRng(`random/${seed}`);
    const rnd = evaluateRanking({
      scores: Float32Array.from(cands, () => rng.next()),
      cols: 100,
      targets: zeros,
      k: [1, 5, 10],
      metrics: ['hr@1', 'hr@5', 'ndcg@5', 'hr@10', 'ndcg@10', 'mrr'],
    });
    random.push(rnd.metrics);
    lastPop = r.perRow('ndcg@10');
    lastRandom = rnd.perRow('ndcg@10');
  }
  console.log(`sampled candidates (${rows} x 100, uniform): ${(sampleMs / seeds.length).toFixed(0)} ms per seed`);

  const segments = [...coldHeavySegments(historyLengths(history.offsets)), ...seenTargetSegments(targets, history)];
  const seg = evaluateSegments(fullP, segments, { metrics: ['hr@10', 'ndcg@10', 'mrr'] });
  const base = { dataset: 'S3-Rec Amazon Beauty', split: 'leave-one-out (last item = test, history = all before it)', rows };
  console.log(
    '\n' +
      formatReport({
        title: 'PopRec, sampled (S3-Rec protocol; paper PopRec: HR@1 .0678 HR@5 .2105 NDCG@5 .1391 HR@10 .3386 NDCG@10 .1803 MRR .1558)',
        protocol: {
          ...base,
          candidates: 'sampled',
          negatives: { kind: 'uniform', count: 99 },
          ties: 'average',
          seeds,
          notes: 'seeds = negative-sampling seeds; popularity = train-part counts',
        },
        rows: [
          summarizeRuns('PopRec (train counts)', runs),
          summarizeRuns('PopRec (all counts, leaks test)', runsAll),
          summarizeRuns('Random', random),
        ],
        comparisons: [
          {
            a: 'PopRec (train counts)',
            b: 'Random',
            metric: `ndcg@10 per customer, seed ${seeds[seeds.length - 1]}`,
            result: pairedTest(lastPop!, lastRandom!, 'wilcoxon'),
          },
        ],
      }),
  );
  console.log(
    '\n' +
      formatReport({
        title: 'PopRec, full ranking',
        protocol: {
          ...base,
          candidates: 'full',
          excludeHistory: true,
          ties: 'pessimistic',
          seeds: [],
          notes: 'deterministic scorer; average-ties row for comparison',
        },
        metrics: ['hr@5', 'ndcg@5', 'hr@10', 'ndcg@10', 'hr@20', 'ndcg@20', 'mrr'],
        rows: [
          { model: 'PopRec (pessimistic ties)', metrics: fullP.metrics },
          { model: 'PopRec (average ties)', metrics: full.average.result().metrics },
        ],
      }),
  );
  console.log(
    '\n' +
      formatReport({
        title: 'PopRec, full ranking by segment',
        protocol: { ...base, candidates: 'full', excludeHistory: true, ties: 'pessimistic', seeds: [] },
        rows: seg.map((s) => ({ model: 'PopRec', segment: `${s.segment} (${s.result.rows}: ${s.rule})`, metrics: s.result.metrics })),
      }),
  );
}
main();
