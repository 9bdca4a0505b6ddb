/** npm run bench:quality -- dmt [--quick] [--dataset sim|taobao] [--tables 1,3,4,5,bias] [--seeds 1,2,3] [--big]
 *   [--epochs N] [--max-len N] [--sim-customers N] [--taobao-rows N] [--results docs/results/dmt.md]
 * (--seeds: every seed for every table, with mean ± std lines for Tables 1, 3, 4 and 5;
 *  --cache DIR: finished runs in DIR/<dataset>/ instead of runs/bench/dmt/<dataset>/; a run's file name carries
 *  its config hash, not the code: after a code change, use a fresh DIR;
 *  --sim-customers / --taobao-rows: smaller data (simulated customers, default 1 500; training impressions kept
 *  on Taobao, default 12 000, valid and test a third and a half of it); --max-len N: every behaviour sequence cut
 *  to its last N events (config maxLen, every model alike);
 *  --results FILE: write Table 1 (mean ± std over the seeds) as a generated page with the commit, config hash,
 *  data hashes and machine load)
 * (--big: 3,000 simulated customers, half the requests in random order, rankerBoost 2: a larger unbiased test set)
 * The DMT Must-show runs: analogues of the paper's Tables 1, 3, 4, 5 (AUC, RelaImpr vs DNN, Precision@4,
 * MRR@4 per request, CTR and CVR) and the bias-network check on the simulator's randomised-position
 * requests. Every finished run is cached in runs/bench/dmt/<dataset>/<run>.json, so a rerun resumes. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { CfmError, configHash, lineProgress, runtimeOptions, type Event, type Item } from '@cfm/core';
import { simulate } from '@cfm/simulator';
import { gbdtBaseline } from '@cfm/benchmarks';
import {
  buildImpressionSet,
  catalogueFromItems,
  DmtConfig,
  DmtModel,
  pageViewImpressions,
  relaImprPct,
  taskMetrics,
  VARIANTS,
  type ImpressionRow,
  type ImpressionSet,
  type TaskMetrics,
  type Catalogue,
} from '@cfm/model-dmt';

interface Data {
  name: string;
  cat: Catalogue;
  train: ImpressionSet;
  valid: ImpressionSet;
  tests: Record<string, ImpressionSet>;
}
type Result = Record<string, Record<string, TaskMetrics>> & { gates?: Record<string, Record<string, number[]>> };
const TASKS = ['ctr', 'cvr'];
const progress = lineProgress((l) => process.stderr.write(l + '\n'), 30_000);

function byTime(rows: ImpressionRow[], from: number, to: number): ImpressionRow[] {
  return rows.filter((r) => r.ts >= from && r.ts < to);
}

function simData(quick: boolean, customers?: number): Data {
  // the logging ranker promotes sponsored items (rankerBoost): position is confounded with the item, which is
  // what the bias network has to undo; 1 500 customers give a few hundred randomised-order test requests
  const big = process.argv.includes('--big');
  const n = quick ? 150 : big ? 3000 : (customers ?? 1500);
  const sim = simulate({
    customers: n,
    items: 2000,
    days: 120,
    seed: 7,
    impressions: { randomizedShare: big ? 0.5 : 0.3, rankerBoost: big ? 2 : 1 },
    outputs: { queries: false, incentives: false, itemText: false },
  });
  const cat = catalogueFromItems(sim.items);
  const b = DmtConfig.parse({}).behaviours;
  const t0 = Date.parse(sim.config.startDate);
  const day = 86_400_000;
  const [cut1, cut2] = [t0 + 84 * day, t0 + 102 * day]; // train: days 0-83, valid: 84-101, test: 102-119
  const build = (rows: ImpressionRow[], source: string) => buildImpressionSet(rows, sim.events, cat, b, { source });
  return {
    name: quick ? 'sim-boost-quick' : big ? 'sim-boost-big' : n === 1500 ? 'sim-boost' : `sim-boost-${n}`,
    cat,
    train: build(byTime(sim.impressions, 0, cut1), 'train'),
    valid: build(byTime(sim.impressions, cut1, cut2), 'valid'),
    tests: {
      logged: build(byTime(sim.impressions, cut2, Infinity), 'test'),
      randomised: build(byTime(sim.randomImpressions, cut1, Infinity), 'random'),
    },
  };
}

/** Taobao UserBehavior sample (user,item,category,behaviour,unix s; no header) → contract events + items */
function readTaobao(dir: string): { events: Event[]; items: Item[] } {
  const file = join(dir, 'taobao-userbehavior-sample', 'UserBehavior_head.csv');
  if (!existsSync(file)) throw new CfmError('CFM_E_FILE', 'dataset file missing', { file });
  const types: Record<string, Event['type']> = { pv: 'view', cart: 'cart', fav: 'favourite', buy: 'purchase' };
  const events: Event[] = [];
  const category = new Map<string, string>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const [user, item, cat, behaviour, ts] = line.split(',');
      if (!types[behaviour])
        throw new CfmError('CFM_E_ROW_SCHEMA', `unknown behaviour "${behaviour}"`, { file, row: i + 1, field: 'behavior_type' });
      if (!/^\d+$/.test(ts ?? ''))
        throw new CfmError('CFM_E_ROW_SCHEMA', `timestamp "${ts}" is not unix seconds`, { file, row: i + 1, field: 'timestamp' });
      if (!category.has(item)) category.set(item, `c${cat}`);
      events.push({ customerId: user, itemId: item, ts: Number(ts) * 1000, type: types[behaviour] });
    });
  return { events, items: [...category].map(([itemId, c]) => ({ itemId, categories: [c] })) };
}

function taobaoData(quick: boolean, trainRows = 12_000): Data {
  const { events, items } = readTaobao(runtimeOptions().CFM_DATA_DIR ?? join(__dirname, '..', '..', '..', 'shared', 'datasets'));
  const cat = catalogueFromItems(items);
  const b = DmtConfig.parse({}).behaviours;
  const dec = (d: number) => Date.UTC(2017, 11, d);
  // rows are grouped by customer: a cap keeps whole requests of the first customers (2 shared cores)
  const build = (from: number, to: number, source: string, cap: number) => {
    const rows = pageViewImpressions(events, cat, { listLength: 10, fromMs: from, toMs: to, seed: 1 });
    return buildImpressionSet(rows.slice(0, quick ? 3000 : cap), events, cat, b, { source });
  };
  return {
    name: quick ? 'taobao-quick' : trainRows === 12_000 ? 'taobao' : `taobao-${trainRows}`,
    cat,
    train: build(Date.UTC(2017, 10, 25), dec(2), 'train', trainRows),
    valid: build(dec(2), dec(3), 'valid', Math.round(trainRows / 3)),
    tests: { test: build(dec(3), dec(4), 'test', Math.round(trainRows / 2)) },
  };
}

/** the resolved config of one run of the suite */
let maxLen: number | undefined; // --max-len
const suiteConfig = (overrides: Partial<DmtConfig>, epochs: number, seed: number) =>
  DmtConfig.parse({ featureDim: 8, expertSizes: [64, 32], epochs, seed, patience: 2, ...(maxLen ? { maxLen } : {}), ...overrides });

async function runModel(d: Data, name: string, overrides: Partial<DmtConfig>, epochs: number, seed: number, out: string): Promise<Result> {
  const config = suiteConfig(overrides, epochs, seed);
  const file = join(out, `${name}-s${seed}-${configHash(config).slice(0, 8)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Result;
  const t0 = Date.now();
  const model = new DmtModel(config, d.cat);
  model.progress = progress;
  const report = await model.fitImpressions(d.train, d.valid, {}); // the config carries the seed
  const res: Result = { gates: {} };
  for (const [tn, t] of Object.entries(d.tests)) {
    const p = model.predict(t);
    res[tn] = Object.fromEntries(TASKS.map((k) => [k, taskMetrics(t, k, p.tasks[k])]));
    res.gates![tn] = p.gates;
  }
  model.dispose();
  const seconds = (Date.now() - t0) / 1000;
  writeFileSync(file, JSON.stringify({ ...res, seconds, epochs: report.epochs, config }, null, 1));
  process.stderr.write(`[dmt] ${d.name} ${name} seed ${seed} done in ${seconds.toFixed(0)} s\n`);
  (res as { seconds?: number }).seconds = seconds; // as a cached run has it
  return res;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(xs.length - 1, 1))];
};
const pm = (xs: number[]) => meanStd(xs).map(fmt).join(' ± ');

/** mean ± sample std over seeds of one Table 1 row, with the RelaImpr of the mean AUCs and each seed's RelaImpr */
function meanLine(row: string, test: string, rs: Array<Record<string, TaskMetrics>>, base: Array<Record<string, TaskMetrics>>): string {
  return TASKS.map((k) => {
    const auc = rs.map((r) => r[k].auc);
    const ri = relaImprPct(meanStd(auc)[0], meanStd(base.map((r) => r[k].auc))[0]);
    const each = rs.map((r, i) => relaImprPct(r[k].auc, base[i][k].auc).toFixed(1)).join(' / ');
    return `dmt table1-mean ${row} ${test} ${k} AUC ${pm(auc)} RelaImpr ${ri.toFixed(2)}% (per seed ${each}) P@4 ${pm(rs.map((r) => r[k].precision))} MRR@4 ${pm(rs.map((r) => r[k].mrr))} (${rs.length} seeds)`;
  }).join('\n');
}

/** one printed line per (table, row, test set, task) */
function line(
  table: string,
  row: string,
  test: string,
  r: Record<string, TaskMetrics>,
  base?: Record<string, TaskMetrics>,
  extra = '',
): string {
  return TASKS.map((k) => {
    const m = r[k];
    const ri = base ? ` RelaImpr ${relaImprPct(m.auc, base[k].auc).toFixed(2)}%` : '';
    return `dmt ${table} ${row} ${test} ${k} AUC ${fmt(m.auc)}${ri} P@4 ${fmt(m.precision)} MRR@4 ${fmt(m.mrr)} (${m.groups} requests, ${m.positives} positives)${extra}`;
  }).join('\n');
}

/** sha256 (16 hex) of the impression sets a model is trained and tested on */
function dataHash(d: Data): string {
  const h = createHash('sha256');
  for (const s of [d.train, d.valid, ...Object.values(d.tests)])
    for (const a of [s.offsets, s.item, s.clicked, s.ordered, s.position, s.dense])
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

/** the commit the run starts from; +dirty with the uncommitted tracked files the suite runs (packages, scripts/bench, benchmarks) */
function codeVersion(): string {
  const git = (...a: string[]) => spawnSync('git', a, { encoding: 'utf8' }).stdout.trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'packages', 'scripts/bench', 'benchmarks')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
  return git('rev-parse', '--short=10', 'HEAD') + (dirty.length ? `+dirty (${dirty.join(', ')})` : '');
}

interface Table1 {
  data: string;
  dataHash: string;
  sizes: string;
  test: string;
  /** dense → model → one result per seed */
  rows: Record<string, Record<string, Array<Record<string, TaskMetrics>>>>;
  /** model → seconds per seed (dense = no, yes) */
  seconds: Record<string, number[]>;
  configs: Record<string, string>;
}

function resultsPage(
  t1: Table1[],
  o: { command: string; code: string; seeds: number[]; load0: number[]; load1: number[]; hash: string; started: string },
): string {
  const f = (xs: number[]) => {
    const [m, sd] = meanStd(xs);
    return xs.length > 1 ? `${m.toFixed(4)} ± ${sd.toFixed(4)}` : m.toFixed(4);
  };
  const lines = [
    '# DMT Table 1 (analogue)',
    '',
    'Generated by `npm run bench:quality -- dmt … --results docs/results/dmt.md` (scripts/bench/quality-dmt.ts); do not edit by hand.',
    'What the models and data are: docs/models/dmt.md.',
    '',
    `- command: \`${o.command}\``,
    `- commit \`${o.code}\` (at the start); started ${o.started}, finished ${new Date().toISOString()}`,
    `- suite config hash \`${o.hash}\` (the resolved config of every row, the data options and the seeds)`,
    `- machine ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${o.load0.map((x) => x.toFixed(1)).join(' / ')} at the start, ${o.load1.map((x) => x.toFixed(1)).join(' / ')} at the end`,
    `- seeds ${o.seeds.join(', ')}: mean ± sample std over the seeds; RelaImpr = (AUC − 0.5) / (AUC_DNN − 0.5) − 1 of the means, DNN of the same half (n/a when DNN's AUC ≤ 0.5); s / seed: training + test prediction, mean over seeds`,
    '',
  ];
  for (const t of t1) {
    lines.push(`## ${t.data}`, '', `data hash \`${t.dataHash}\`; ${t.sizes}; metrics on \`${t.test}\`.`, '');
    lines.push(
      '| model | dense | click AUC | RelaImpr | P@4 | MRR@4 | order AUC | RelaImpr | P@4 | MRR@4 | s / seed |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const dense of Object.keys(t.rows)) {
      const base = t.rows[dense].DNN;
      for (const [model, rs] of Object.entries(t.rows[dense])) {
        const cells = TASKS.flatMap((k) => {
          const a = rs.map((r) => r[k].auc);
          const b = base ? meanStd(base.map((r) => r[k].auc))[0] : NaN;
          const ri = b > 0.5 ? `${relaImprPct(meanStd(a)[0], b).toFixed(2)}%` : 'n/a'; // undefined when DNN is at or below chance
          return [f(a), ri, f(rs.map((r) => r[k].precision)), f(rs.map((r) => r[k].mrr))];
        });
        const sec = t.seconds[`${model}/${dense}`];
        lines.push(`| ${model} | ${dense} | ${cells.join(' | ')} | ${sec ? meanStd(sec)[0].toFixed(0) : '–'} |`);
      }
    }
    const order = (dense: string, k: string) =>
      Object.entries(t.rows[dense] ?? {})
        .map(([m, rs]) => [m, meanStd(rs.map((r) => r[k].auc))[0]] as const)
        .sort((a, b) => b[1] - a[1])
        .map(([m]) => m)
        .join(' > ');
    lines.push('', 'Order by mean AUC (the paper: DMT > DMT_trans > DIEN > DIN > DNN, GBDT below DNN with dense features):', '');
    for (const dense of Object.keys(t.rows)) for (const k of TASKS) lines.push(`- dense ${dense}, ${k}: ${order(dense, k)}`);
    lines.push('', 'Config hash per row:', '');
    for (const [k, h] of Object.entries(t.configs)) lines.push(`- ${k}: \`${h}\``);
    lines.push('');
  }
  return lines.join('\n');
}

const B3 = DmtConfig.parse({}).behaviours;
const NO_BIAS = { bias: [] as DmtConfig['bias'] };
export async function runDmtSuite(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const opt = (k: string, dflt: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const tables = opt('--tables', 'bias,1,3,4,5').split(',');
  const seeds = opt('--seeds', '1').split(',').map(Number);
  const epochs = quick ? 1 : Number(opt('--epochs', '8'));
  const say = (s: string) => process.stdout.write(s + '\n');
  const simCustomers = opt('--sim-customers', '') ? Number(opt('--sim-customers', '')) : undefined;
  const taobaoRows = opt('--taobao-rows', '') ? Number(opt('--taobao-rows', '')) : undefined;
  const resultsFile = opt('--results', '');
  maxLen = opt('--max-len', '') ? Number(opt('--max-len', '')) : undefined;
  const [code, load0, started] = [codeVersion(), loadavg(), new Date().toISOString()];
  const t1: Table1[] = [];
  for (const ds of opt('--dataset', 'sim,taobao').split(',')) {
    const d = ds === 'taobao' ? taobaoData(quick, taobaoRows) : simData(quick, simCustomers);
    const out = opt('--cache', '') ? join(opt('--cache', ''), d.name) : join('runs', 'bench', 'dmt', d.name);
    mkdirSync(out, { recursive: true });
    const n = (s: ImpressionSet) =>
      `${s.offsets.length - 1} requests / ${s.item.length} impressions / ${s.clicked.reduce((a, b) => a + b, 0)} clicks / ${s.ordered.reduce((a, b) => a + b, 0)} orders`;
    say(
      `# ${d.name}: train ${n(d.train)}; valid ${n(d.valid)}; ${Object.entries(d.tests)
        .map(([k, s]) => `${k} ${n(s)}`)
        .join('; ')}; epochs ≤ ${epochs}`,
    );
    const run = (name: string, o: Partial<DmtConfig>, seed = seeds[0]) => runModel(d, name, o, epochs, seed, out);
    const test = Object.keys(d.tests)[0];
    const table: Table1 = {
      data: d.name,
      dataHash: dataHash(d),
      sizes: `train ${n(d.train)}; valid ${n(d.valid)}; ${test} ${n(d.tests[test])}; epochs ≤ ${epochs}, early stopping on valid mean AUC (patience 2); sequences ≤ ${B3.map((b) => `${b.name} ${Math.min(b.maxLen, maxLen ?? b.maxLen)}`).join(', ')} events`,
      test,
      rows: {},
      seconds: {},
      configs: {},
    };
    if (tables.includes('bias') && d.tests.randomised) {
      for (const seed of seeds) {
        const without = await run('mmoe-nobias', { ...NO_BIAS }, seed);
        const withBias = await run('mmoe-bias-all', { bias: ['position', 'page', 'neighbour'] }, seed);
        // position alone: the neighbour block also embeds the target's own category, which lets the (dropped at
        // serving) bias tower take over real category preference
        const positionOnly = await run('mmoe-bias-position', { bias: ['position'] }, seed);
        for (const t of ['randomised', 'logged']) {
          say(line('bias', `no-bias seed=${seed}`, t, without[t]));
          say(line('bias', `bias(position+page+neighbour) seed=${seed}`, t, withBias[t], without[t]));
          say(line('bias', `bias(position) seed=${seed}`, t, positionOnly[t], without[t]));
        }
      }
    }
    for (const dense of tables.includes('1') ? [false, true] : []) {
      const rows: Array<[string, Partial<DmtConfig>]> = [
        ['DNN', VARIANTS.dnn],
        ['DIN', VARIANTS.din],
        ['DIEN', VARIANTS.dien],
        ['DMT_trans', VARIANTS.dmt_trans],
        ['DMT', VARIANTS.dmt],
      ];
      const per: Record<string, Array<Record<string, TaskMetrics>>> = {}; // model → one result per seed
      for (const seed of seeds) {
        for (const [name, o] of rows) {
          const r = (await run(`t1-${name}-dense${dense}`, { ...o, dense }, seed)) as Result & { seconds?: number };
          (per[name] ??= []).push(r[test]);
          (table.seconds[`${name}/${dense ? 'yes' : 'no'}`] ??= []).push(r.seconds ?? NaN);
          table.configs[`${name} dense=${dense ? 'yes' : 'no'}`] = configHash({
            ...suiteConfig({ ...o, dense }, epochs, 0),
            seed: undefined,
          });
        }
        if (dense) {
          const g0 = Date.now();
          const [g] = await gbdtBaseline(d.train, d.valid, [d.tests[test]], TASKS, { seed });
          (per.GBDT ??= []).push(Object.fromEntries(TASKS.map((k) => [k, taskMetrics(d.tests[test], k, g[k])])));
          (table.seconds['GBDT/yes'] ??= []).push((Date.now() - g0) / 1000);
          table.configs['GBDT dense=yes'] = 'XGBoost, benchmarks/src/dmt/gbdt-baseline.ts defaults';
        }
      }
      const names = [...(dense ? ['GBDT'] : []), ...rows.map(([name]) => name)];
      table.rows[dense ? 'yes' : 'no'] = Object.fromEntries(names.map((name) => [name, per[name]]));
      seeds.forEach((seed, i) => {
        for (const name of names)
          say(
            line(
              'table1',
              `${name} dense=${dense ? 'yes' : 'no'}${seeds.length > 1 ? ` seed=${seed}` : ''}`,
              test,
              per[name][i],
              per.DNN[i],
            ),
          );
      });
      if (seeds.length > 1) for (const name of names) say(meanLine(`${name} dense=${dense ? 'yes' : 'no'}`, test, per[name], per.DNN));
    }
    // one row of Tables 3-5 over every seed: a line per seed (and its gates, for MMoE), then mean ± std over the seeds
    const seededRow = async (table: string, row: string, name: string, o: Partial<DmtConfig>, gates = false) => {
      const rs: Array<Record<string, TaskMetrics>> = [];
      for (const seed of seeds) {
        const r = await run(name, o, seed);
        rs.push(r[test]);
        say(
          line(
            table,
            `${row}${seeds.length > 1 ? ` seed=${seed}` : ''}`,
            test,
            r[test],
            undefined,
            gates ? ` gates ${JSON.stringify(r.gates?.[test])}` : '',
          ),
        );
      }
      if (seeds.length > 1)
        for (const k of TASKS)
          say(
            `dmt ${table}-mean ${row} ${test} ${k} AUC ${pm(rs.map((r) => r[k].auc))} P@4 ${pm(rs.map((r) => r[k].precision))} MRR@4 ${pm(rs.map((r) => r[k].mrr))} (${rs.length} seeds)`,
          );
    };
    if (tables.includes('3'))
      for (const positions of ['none', 'sinusoidal', 'learned'] as const)
        await seededRow('table3', `positions=${positions}`, `t1-DMT_trans-densetrue${positions === 'learned' ? '' : `-pos-${positions}`}`, {
          ...VARIANTS.dmt_trans,
          positions,
          dense: true,
        });
    if (tables.includes('4')) {
      const cells = (['single', 'shared-bottom', 'mmoe'] as const).flatMap((multiTask) => [1, 2, 3].map((k) => [multiTask, k] as const));
      // --reverse: a second process can work the table from the other end (finished runs are cached)
      for (const [multiTask, k] of args.includes('--reverse') ? cells.reverse() : cells) {
        const name =
          multiTask === 'single' && k === 3
            ? 't1-DMT_trans-densetrue'
            : multiTask === 'mmoe' && k === 3
              ? 'mmoe-nobias'
              : `t4-${multiTask}-b${k}`;
        await seededRow(
          'table4',
          `behaviours=${B3.slice(0, k)
            .map((b) => b.name)
            .join('+')} multitask=${multiTask}`,
          name,
          { ...NO_BIAS, multiTask, behaviours: B3.slice(0, k) },
          multiTask === 'mmoe',
        );
      }
    }
    if (tables.includes('5'))
      for (const bias of [[], ['position'], ['page'], ['neighbour']] as Array<DmtConfig['bias']>) {
        const name = bias.length ? (bias[0] === 'neighbour' ? 't1-DMT-densetrue' : `t5-${bias[0]}`) : 'mmoe-nobias';
        await seededRow('table5', `bias=${bias.join('+') || 'none'} multitask=mmoe`, name, { ...VARIANTS.dmt, bias, dense: true });
      }
    if (Object.keys(table.rows).length) t1.push(table);
  }
  if (resultsFile && t1.length) {
    const command = `npm run bench:quality -- ${args.join(' ')}`;
    const hash = configHash({
      args: args.filter((a, i) => a !== '--results' && args[i - 1] !== '--results'),
      configs: t1.map((t) => t.configs),
    });
    mkdirSync(dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, resultsPage(t1, { command, code, seeds, load0, load1: loadavg(), hash, started }));
    writeFileSync(resultsFile.replace(/\.md$/, '.json'), JSON.stringify({ command, code, hash, seeds, tables: t1 }, null, 1) + '\n');
    process.stderr.write(`[dmt] wrote ${resultsFile}\n`);
  }
}
