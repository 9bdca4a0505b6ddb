/** `npm run bench:quality -- mcm-incentives [--quick] [--seeds 1,2,3]`: MCM fine-tuning (paper §3.3) on simulated
 * incentive offers ("buy from product line L, get cash-back"), by conversion NDCG@5 over each test customer's offers:
 * GBDT on hand-made history features, MCM's next-product-line score without fine-tuning, a new head on the frozen
 * encoder, the encoder fine-tuned with the new head (FineTuneConfig's defaults, and with one learning rate, no head
 * warm-up and no validation: the settings before the schedule), and the same MCM trained on the offers from random
 * initialisation (no pre-training). Each seed simulates, pre-trains (through the pipeline) and fine-tunes anew;
 * docs/results/mcm-incentives.md (+ .json) gets mean ± std over the seeds (not written with --quick). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { configHash, createRng, padBatch, type CustomerSequences, type ProgressReporter } from '@cfm/core';
import { loadPrepared, prepareFromSources } from '@cfm/data';
import { auc, evaluateGroups, summarizeSeeds } from '@cfm/eval';
import { trainGbdt } from '@cfm/gbdt';
import { mcm, type McmModel } from '@cfm/model-mcm';
import { codeVersion, readRunInfo, realSteps, resolveRunSpec, runPipeline } from '@cfm/pipeline';
import { simulate, writeSimulation, type IncentiveOffer, type SimConfigInput } from '@cfm/simulator';
import { fineTune, FineTuneConfig, FROM_SCRATCH, type FineTuneConfigInput, type FineTuneExamples } from '@cfm/tensor';

export interface IncentiveDemoOptions {
  out: string;
  customers: number;
  seed: number;
  epochs: number;
  fineTuneEpochs: number;
  /** also the rows with the settings before (BEFORE) */
  before: boolean;
  config?: Record<string, unknown>;
  progress: ProgressReporter;
}

/** the rows' fine-tune settings over FineTuneConfig's defaults (the new head: 64 hidden units, batches of 128) */
const HEAD = { hidden: [64], lr: 1e-3, batchSize: 128 } as const satisfies FineTuneConfigInput;
/** fine-tuning's settings before its schedule and the cross term: one learning rate, no head warm-up, no validation (the
 * last epoch), the head an MLP on [vector, side] alone */
export const BEFORE = { encoderLrScale: 1, headWarmupEpochs: 0, keepBest: false, sideCross: false } as const satisfies FineTuneConfigInput;
export const ROWS = {
  gbdt: 'gbdt',
  zero: 'mcm (no fine-tuning)',
  frozen: 'mcm + head (frozen)',
  tuned: 'mcm fine-tuned',
  scratch: 'no pre-training',
  frozenBefore: 'mcm + head (frozen), settings before',
  tunedBefore: 'mcm fine-tuned, settings before',
  score: 'mcm + head on vector, line, cash-back, pre-trained line score (frozen)',
} as const;

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

export async function incentiveDemo(o: IncentiveDemoOptions): Promise<{ result: Record<string, number>; dataHash: string }> {
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
  report(ROWS.gbdt, gbdt.predict(feats(testEx, testOffers), testOffers.length));
  gbdt.dispose();
  // 2. MCM next-product-line score, no fine-tuning
  const model = (await mcm.load(join(runDir, 'model'))) as McmModel;
  const maxLen = model.config.maxLen;
  const lineScores = (ex: FineTuneExamples, list: IncentiveOffer[]) => {
    // every line's score per offer (each label's score is computed on its own), batches of 256, then the offer's line
    const out = new Float32Array(list.length);
    for (let s = 0; s < list.length; s += 256) {
      const idx = Array.from({ length: Math.min(256, list.length - s) }, (_, i) => s + i);
      const b = padBatch(
        seqs,
        idx.map((i) => ex.rows[i]),
        { maxLen, ends: Int32Array.from(idx, (i) => ex.ends[i]) },
      );
      const all = model.score(b, 'next-productLine');
      idx.forEach((i, j) => (out[i] = all[j * nLines + lineIds.get(list[i].productLine)!]));
    }
    return out;
  };
  const zero = lineScores(testEx, testOffers);
  report(ROWS.zero, zero);
  // the pre-trained score of the offer's line as one more side input: the new head starts from what pre-training knows
  const withScore = (ex: FineTuneExamples, scores: Float32Array): FineTuneExamples => {
    const d = ex.sideDim!;
    const side = new Float32Array(scores.length * (d + 1));
    for (let i = 0; i < scores.length; i++) side.set([...ex.side!.subarray(i * d, (i + 1) * d), scores[i]], i * (d + 1));
    return { ...ex, side, sideDim: d + 1 };
  };
  const [trainExS, testExS] = [withScore(trainEx, lineScores(trainEx, trainOffers)), withScore(testEx, zero)];
  // 3. MCM + new head: frozen encoder, fine-tuned encoder (the defaults, and one rate without warm-up or validation),
  // and the same model from random initialisation
  const settings = (extra: FineTuneConfigInput) => ({ ...HEAD, epochs: o.fineTuneEpochs, seed: o.seed, ...extra });
  const runs: Array<[string, FineTuneConfigInput, boolean]> = [
    [ROWS.frozen, { freezeEncoder: true }, true],
    [ROWS.tuned, {}, true],
    [ROWS.scratch, FROM_SCRATCH, false],
    [ROWS.frozenBefore, { ...BEFORE, freezeEncoder: true }, true],
    [ROWS.tunedBefore, BEFORE, true],
  ].filter(([name]) => o.before || !String(name).endsWith('settings before')) as Array<[string, FineTuneConfigInput, boolean]>;
  for (const [name, extra, pretrained] of runs) {
    const m = pretrained ? ((await mcm.load(join(runDir, 'model'))) as McmModel) : (mcm.create(model.config, data) as McmModel);
    const ft = await fineTune(m, trainEx, { ...settings(extra), maxLen, progress: o.progress });
    report(name, ft.model.predict(testEx));
    result[`${name} epochs`] = ft.report.epochs;
    ft.model.dispose();
    m.dispose();
  }
  {
    const m = (await mcm.load(join(runDir, 'model'))) as McmModel;
    const ft = await fineTune(m, trainExS, { ...settings({ freezeEncoder: true }), maxLen, progress: o.progress });
    report(ROWS.score, ft.model.predict(testExS));
    result[`${ROWS.score} epochs`] = ft.report.epochs;
    ft.model.dispose();
    m.dispose();
  }
  model.dispose();
  return { result, dataHash: readRunInfo(runDir).dataHash };
}

/** the suite's settings (a small MCM pre-trained through the pipeline on the events before the offer window) */
function suiteSettings(quick: boolean) {
  return {
    customers: quick ? 300 : 1500,
    epochs: quick ? 1 : 3,
    fineTuneEpochs: quick ? 2 : 10,
    config: { dModel: 64, maxLen: 50, samplesPerSequence: 2, negatives: 512, validCustomers: 500 },
  };
}

export async function runIncentives(args: string[], progress: ProgressReporter): Promise<void> {
  const quick = args.includes('--quick');
  const before = args.includes('--before');
  const at = args.indexOf('--seeds');
  const seeds = at >= 0 ? args[at + 1].split(',').map(Number) : quick ? [1] : [1, 2, 3];
  if (!seeds.length || seeds.some((x) => !Number.isInteger(x) || x < 0))
    throw new Error(`--seeds: comma-separated integers (${args[at + 1]})`);
  const base = suiteSettings(quick);
  const started = new Date();
  const loadStart = loadavg()[0];
  const code = codeVersion();
  const perSeed: Array<{ seed: number; dataHash: string; seconds: number; result: Record<string, number> }> = [];
  for (const seed of seeds) {
    const t0 = Date.now();
    const { result, dataHash } = await incentiveDemo({
      out: join('runs', 'bench', quick ? 'mcm-incentives-quick' : 'mcm-incentives', `seed-${seed}`),
      seed,
      progress,
      before,
      ...base,
    });
    perSeed.push({ seed, dataHash, seconds: (Date.now() - t0) / 1000, result });
    for (const [k, v] of Object.entries(result))
      process.stdout.write(`mcm incentives seed ${seed} ${k} ${Number.isInteger(v) ? v : v.toFixed(4)}\n`);
  }
  const command = `npm run bench:quality -- mcm-incentives${quick ? ' --quick' : ''}${before ? ' --before' : ''}${at >= 0 ? ` --seeds ${seeds.join(',')}` : ''}`;
  const fineTune = Object.fromEntries(
    Object.entries({
      frozen: { freezeEncoder: true },
      tuned: {},
      scratch: FROM_SCRATCH,
      ...(before && { before: BEFORE, frozenBefore: { ...BEFORE, freezeEncoder: true } }),
    }).map(([k, extra]) => [k, FineTuneConfig.parse({ ...HEAD, epochs: base.fineTuneEpochs, ...extra })]),
  );
  const settings = { ...base, fineTune };
  const page = {
    suite: 'mcm-incentives',
    command,
    commit: code,
    configHash: configHash(settings),
    dataHashes: perSeed.map((x) => x.dataHash),
    load: { start: loadStart, end: loadavg()[0] },
    started: started.toISOString(),
    minutes: (Date.now() - started.getTime()) / 60_000,
    seeds,
    settings,
    perSeed,
  };
  const lines = incentivesMarkdown(page);
  process.stdout.write(lines.summary.join('\n') + '\n');
  if (quick) return;
  const md = join('docs', 'results', 'mcm-incentives.md');
  mkdirSync(dirname(md), { recursive: true });
  writeFileSync(md, lines.page.join('\n') + '\n');
  writeFileSync(md.replace(/\.md$/, '.json'), JSON.stringify(page, null, 1) + '\n');
  process.stdout.write(`results → ${md}\n`);
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '–');
/** mean ± std (sample std; one value: the value) */
const pm = (xs: number[]) => {
  const s = summarizeSeeds(xs);
  return xs.length > 1 ? `${f4(s.mean)} ± ${f4(s.std)}` : f4(s.mean);
};

function incentivesMarkdown(p: {
  command: string;
  commit: string;
  configHash: string;
  dataHashes: string[];
  load: { start: number; end: number };
  started: string;
  minutes: number;
  seeds: number[];
  settings: ReturnType<typeof suiteSettings> & { fineTune: Record<string, FineTuneConfig> };
  perSeed: Array<{ seed: number; seconds: number; result: Record<string, number> }>;
}): { page: string[]; summary: string[] } {
  const of = (row: string, metric: string) => p.perSeed.map((x) => x.result[`${row} ${metric}`]);
  const table = [
    `| method | conversion ndcg@5 | conversion auc | ndcg@5 per seed | fine-tuning epochs run |`,
    '|---|---|---|---|---|',
    ...Object.values(ROWS)
      .filter((row) => of(row, 'ndcg@5').every((x) => x !== undefined))
      .map(
        (row) =>
          `| ${row} | ${pm(of(row, 'ndcg@5'))} | ${pm(of(row, 'auc'))} | ${of(row, 'ndcg@5').map(f4).join(', ')} | ${
            of(row, 'epochs').every((x) => x === undefined) ? '–' : of(row, 'epochs').join(', ')
          } |`,
      ),
  ];
  const page = [
    '# mcm-incentives',
    '',
    `Generated by \`${p.command}\` (scripts/bench/mcm-incentives.ts); do not edit by hand.`,
    '',
    `- commit \`${p.commit}\`; settings hash \`${p.configHash}\`; data hash per seed (the prepared pre-training events) ${p.dataHashes.map((h) => `\`${h}\``).join(', ')}`,
    `- 1-minute load average at the start / end: ${p.load.start.toFixed(2)} / ${p.load.end.toFixed(2)}; started ${p.started.slice(0, 16).replace('T', ' ')} UTC, ${p.minutes.toFixed(1)} min (${p.perSeed.map((x) => `seed ${x.seed}: ${(x.seconds / 60).toFixed(1)}`).join(', ')})`,
    `- ${p.seeds.length} seed(s) ${p.seeds.join(', ')}: each simulates ${p.settings.customers} customers (seed s), pre-trains MCM for ${p.settings.epochs} epochs on the events before the offer window and fine-tunes with seed s; mean ± std (sample) over the seeds`,
    `- offers per seed (train / test / test conversions / test customers with a conversion): ${p.perSeed.map((x) => `${x.result.trainOffers} / ${x.result.testOffers} / ${x.result.testConversions} / ${x.result.groups}`).join('; ')}`,
    '',
    "Conversion NDCG@5: each test customer's offers ranked by score, averaged over the customers with a conversion (@cfm/eval evaluateGroups); AUC over all test offers.",
    "`mcm fine-tuned` uses FineTuneConfig's defaults (docs/downstream.md); `no pre-training` is the same MCM from random initialisation",
    'trained on the offers with one learning rate and no warm-up (FROM_SCRATCH). Rows marked `settings before` (with --before) use',
    'the settings fine-tuning had before its schedule: one learning rate, no head warm-up, no validation, no cross term (BEFORE);',
    'there is no such row for no pre-training (it would cost one more training from scratch per seed).',
    '',
    ...table,
    '',
    '## Fine-tune settings (FineTuneConfig, resolved)',
    '',
    ...Object.entries(p.settings.fineTune).map(([k, c]) => `- ${k}: \`${JSON.stringify(c)}\``),
    `- pre-training config: \`${JSON.stringify(p.settings.config)}\``,
  ];
  return { page, summary: table };
}
