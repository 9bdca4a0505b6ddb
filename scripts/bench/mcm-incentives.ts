/** `npm run bench:quality -- mcm-incentives [--quick]`: MCM fine-tuning demo (paper §3.3) on simulated incentive offers ("buy from product line L, get cash-back"):
 * GBDT on hand-made history features vs MCM's next-product-line score without fine-tuning vs MCM with a new
 * head fine-tuned on the offers (encoder trained along), by conversion NDCG over each test customer's offers. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, padBatch, type CustomerSequences, type ProgressReporter } from '@cfm/core';
import { loadPrepared, prepareFromSources } from '@cfm/data';
import { auc, evaluateGroups } from '@cfm/eval';
import { trainGbdt } from '@cfm/gbdt';
import { mcm, type McmModel } from '@cfm/model-mcm';
import { realSteps, resolveRunSpec, runPipeline } from '@cfm/pipeline';
import { simulate, writeSimulation, type IncentiveOffer, type SimConfigInput } from '@cfm/simulator';
import { fineTune, type FineTuneExamples } from '@cfm/tensor';

export interface IncentiveDemoOptions {
  out: string;
  customers: number;
  seed: number;
  epochs: number;
  fineTuneEpochs: number;
  config?: Record<string, unknown>;
  progress: ProgressReporter;
}

const DAY = 86_400_000;

/** every customer's full event sequence in the prepared vocabularies (times in seconds) */
function allSequences(
  events: ReturnType<typeof simulate>['events'],
  itemIds: Map<string, number>,
  typeIds: Map<string, number>,
): CustomerSequences {
  const by = new Map<string, typeof events>();
  for (const e of events) (by.get(e.customerId) ?? by.set(e.customerId, []).get(e.customerId)!).push(e);
  const customerIds = [...by.keys()];
  const offsets = new Int32Array(customerIds.length + 1);
  const rows = customerIds.flatMap((c, i) => {
    const evs = by.get(c)!.sort((a, b) => a.ts - b.ts);
    offsets[i + 1] = offsets[i] + evs.length;
    return evs;
  });
  return {
    customerIds,
    offsets,
    items: Int32Array.from(rows, (e) => itemIds.get(e.itemId) ?? 3),
    types: Int32Array.from(rows, (e) => typeIds.get(e.type) ?? 3),
    times: Float64Array.from(rows, (e) => e.ts / 1000),
  };
}

export async function incentiveDemo(o: IncentiveDemoOptions): Promise<Record<string, number>> {
  const sim: SimConfigInput = {
    seed: o.seed,
    customers: o.customers,
    items: 2000,
    days: 180,
    incentives: { meanOffersPerCustomer: 6 },
    outputs: { impressions: false, queries: false, itemText: false },
  };
  const simDir = join(o.out, 'sim');
  if (!existsSync(join(simDir, 'manifest.json'))) writeSimulation(sim, simDir, o.progress);
  const s = simulate(sim);
  const windowStart = Math.min(...s.incentives.map((x) => x.ts));
  const prepDir = join(o.out, 'prepared');
  if (!existsSync(join(prepDir, 'manifest.json')))
    await prepareFromSources({
      dataset: 'sim-incentives',
      sources: { events: [join(simDir, 'events.csv')], items: join(simDir, 'items.csv') },
      out: prepDir,
      config: { split: 'temporal', cutoffsMs: [windowStart - 14 * DAY, windowStart] },
      progress: o.progress,
    });
  // pre-train on events before the offer window only
  const runDir = join(o.out, 'mcm');
  const spec = resolveRunSpec({
    name: 'incentives',
    workDir: runDir,
    seed: o.seed,
    dataset: { source: 'prepared', path: prepDir },
    families: [{ name: 'mcm', config: { ...o.config, epochs: o.epochs } }],
    promote: false,
  });
  await runPipeline(spec, { steps: realSteps(), progress: o.progress, runDir });
  const data = await loadPrepared(prepDir);
  const ids = (v: string) => new Map(data.vocabs[v].tokens.map((t, i) => [t, i]));
  const seqs = allSequences(s.events, ids('item'), ids('type'));
  const custIndex = new Map(seqs.customerIds.map((c, i) => [c, i]));
  const lineIds = ids('productLine');
  const nLines = data.vocabs.productLine.tokens.length;
  const offers = s.incentives.filter((x) => custIndex.has(x.customerId) && lineIds.has(x.productLine));
  const testCust = new Set(
    createRng(o.seed)
      .fork('offer-split')
      .shuffle([...new Set(offers.map((x) => x.customerId))])
      .slice(0, Math.round(0.3 * custIndex.size)),
  );
  const pick = (test: boolean) =>
    offers.filter((x) => testCust.has(x.customerId) === test).sort((a, b) => a.customerId.localeCompare(b.customerId) || a.ts - b.ts);
  const [trainOffers, testOffers] = [pick(false), pick(true)];
  const examples = (list: IncentiveOffer[]): FineTuneExamples => {
    const rows = Int32Array.from(list, (x) => custIndex.get(x.customerId)!);
    const ends = Int32Array.from(list, (x, i) => {
      const c = rows[i];
      let e = seqs.offsets[c];
      while (e < seqs.offsets[c + 1] && seqs.times[e] < x.ts / 1000) e++;
      return e;
    });
    const side = new Float32Array(list.length * (nLines + 1));
    list.forEach(
      (x, i) => ((side[i * (nLines + 1) + lineIds.get(x.productLine)!] = 1), (side[i * (nLines + 1) + nLines] = x.cashback / 20)),
    );
    return { sequences: seqs, rows, ends, side, sideDim: nLines + 1, labels: Float32Array.from(list, (x) => (x.converted ? 1 : 0)) };
  };
  const [trainEx, testEx] = [examples(trainOffers), examples(testOffers)];
  const groups = Int32Array.from([
    0,
    ...testOffers.flatMap((x, i) => (i === testOffers.length - 1 || testOffers[i + 1].customerId !== x.customerId ? [i + 1] : [])),
  ]);
  const result: Record<string, number> = {
    trainOffers: trainOffers.length,
    testOffers: testOffers.length,
    testConversions: testEx.labels!.reduce((a, b) => a + b, 0),
  };
  const report = (name: string, scores: Float32Array) => {
    const g = evaluateGroups({ scores, labels: testEx.labels!, offsets: groups, k: [5] });
    result[`${name} ndcg@5`] = g.metrics['ndcg@5'];
    result[`${name} auc`] = auc(scores, testEx.labels!);
    result.groups = g.groups;
  };
  // 1. GBDT on per-offer history features
  const itemLine = data.itemFeatures.productLine;
  const feats = (ex: FineTuneExamples, list: IncentiveOffer[]) => {
    const f = new Float32Array(list.length * 6);
    list.forEach((x, i) => {
      const line = lineIds.get(x.productLine)!;
      const c = ex.rows[i];
      let inLine = 0,
        boughtInLine = 0,
        bought = 0,
        last = -1;
      for (let e = seqs.offsets[c]; e < ex.ends[i]; e++) {
        const hit = itemLine[seqs.items[e]] === line;
        const buy = data.vocabs.type.tokens[seqs.types[e]] === 'purchase';
        inLine += hit ? 1 : 0;
        boughtInLine += hit && buy ? 1 : 0;
        bought += buy ? 1 : 0;
        if (hit) last = seqs.times[e];
      }
      const n = ex.ends[i] - seqs.offsets[c];
      f.set([line, x.cashback, inLine / Math.max(1, n), boughtInLine, bought, last < 0 ? 999 : (x.ts / 1000 - last) / 86400], i * 6);
    });
    return f;
  };
  const gbdt = await trainGbdt({
    features: feats(trainEx, trainOffers),
    rows: trainOffers.length,
    cols: 6,
    labels: trainEx.labels!,
    params: { objective: 'binary:logistic', rounds: 200, maxDepth: 4, eta: 0.05, seed: o.seed },
  });
  report('gbdt', gbdt.predict(feats(testEx, testOffers), testOffers.length));
  gbdt.dispose();
  // 2. MCM next-product-line score, no fine-tuning
  const model = (await mcm.load(join(runDir, 'model'))) as McmModel;
  const maxLen = model.config.maxLen;
  const lineScores = (ex: FineTuneExamples, list: IncentiveOffer[]) => {
    const out = new Float32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const b = padBatch(seqs, [ex.rows[i]], { maxLen, ends: ex.ends.subarray(i, i + 1) });
      out[i] = model.score(b, 'next-productLine', Int32Array.of(lineIds.get(list[i].productLine)!))[0];
    }
    return out;
  };
  const zero = lineScores(testEx, testOffers);
  report('mcm (no fine-tuning)', zero);
  // the pre-trained score of the offer's line as one more side input: the new head starts from what pre-training knows
  const withScore = (ex: FineTuneExamples, scores: Float32Array): FineTuneExamples => {
    const d = ex.sideDim!;
    const side = new Float32Array(scores.length * (d + 1));
    for (let i = 0; i < scores.length; i++) side.set([...ex.side!.subarray(i * d, (i + 1) * d), scores[i]], i * (d + 1));
    return { ...ex, side, sideDim: d + 1 };
  };
  const [trainExS, testExS] = [withScore(trainEx, lineScores(trainEx, trainOffers)), withScore(testEx, zero)];
  // 3. MCM + new head, frozen encoder and fine-tuned encoder
  for (const freezeEncoder of [true, false]) {
    const m = (await mcm.load(join(runDir, 'model'))) as McmModel;
    const ft = await fineTune(m, trainEx, {
      freezeEncoder,
      maxLen,
      epochs: o.fineTuneEpochs,
      lr: 1e-3,
      hidden: [64],
      batchSize: 128,
      seed: o.seed,
      progress: o.progress,
    });
    report(freezeEncoder ? 'mcm + head (frozen)' : 'mcm fine-tuned', ft.model.predict(testEx));
    ft.model.dispose();
    m.dispose();
  }
  {
    const m = (await mcm.load(join(runDir, 'model'))) as McmModel;
    const ft = await fineTune(m, trainExS, {
      freezeEncoder: true,
      maxLen,
      epochs: o.fineTuneEpochs,
      lr: 1e-3,
      hidden: [64],
      batchSize: 128,
      seed: o.seed,
      progress: o.progress,
    });
    report('mcm + head on vector, line, cash-back, pre-trained line score (frozen)', ft.model.predict(testExS));
    ft.model.dispose();
    m.dispose();
  }
  model.dispose();
  return result;
}

/** the demo's settings (a small MCM pre-trained through the pipeline on the events before the offer window) */
export async function runIncentives(quick: boolean, progress: ProgressReporter): Promise<void> {
  const r = await incentiveDemo({
    out: join('runs', 'bench', quick ? 'mcm-incentives-quick' : 'mcm-incentives'),
    customers: quick ? 300 : 1500,
    seed: 1,
    epochs: quick ? 1 : 3,
    fineTuneEpochs: quick ? 1 : 10,
    config: { dModel: 64, maxLen: 50, samplesPerSequence: 2, negatives: 512, validCustomers: 500 },
    progress,
  });
  for (const [k, v] of Object.entries(r)) process.stdout.write(`mcm incentives ${k} ${Number.isInteger(v) ? v : v.toFixed(4)}\n`);
}
