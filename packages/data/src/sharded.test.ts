import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createRng } from '@cfm/core';
import {
  loadPrepared,
  mergeShards,
  mergeStats,
  prepareFromSources,
  prepareShard,
  prepareSharded,
  relocatePrepared,
  shardStats,
  splitSources,
  type ContractSources,
  type PrepareConfigInput,
  type PreparedManifest,
  type ShardOutput,
  type ShardStats,
} from './index';
import { EVENTS_HEADER, tempDir } from './testing/fixtures';

const tmp = tempDir('cfm-sharded-');
afterAll(() => (process.env.CFM_KEEP_TEST_DIR ? console.log(tmp.dir) : tmp.cleanup()));
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const TYPES = ['view', 'click', 'cart', 'purchase', 'favourite', 'high_value'];

/**
 * Generated contract rows: `customers` customers with 2..30 events each over 90 days (some at equal times), session ids,
 * positions, prices and queries; `dirty` adds exact duplicates, padded ids and rows the ingest quarantines.
 */
function eventRows(seed: number, customers: number, dirty: boolean): string[][] {
  const rng = createRng(seed);
  const rows: string[][] = [];
  for (let c = 0; c < customers; c++) {
    const n = 2 + Math.floor(rng.next() * 29);
    let t = T0 + Math.floor(rng.next() * 60) * DAY;
    for (let e = 0; e < n; e++) {
      if (rng.next() > 0.2) t += Math.floor(rng.next() * 3 * DAY);
      const item = `i${Math.floor(rng.next() * rng.next() * 40)}`;
      const type = TYPES[Math.floor(rng.next() * rng.next() * TYPES.length)];
      const session = rng.next() < 0.1 ? '' : `s${c}-${Math.floor(e / 4)}`;
      const row = [
        `c${c}`,
        item,
        String(t),
        type,
        session,
        String(e % 7),
        String(e % 3),
        e % 5 === 0 ? `q${e}` : '',
        (1 + (e % 9) * 2.5).toFixed(2),
      ];
      rows.push(row);
      if (dirty && rng.next() < 0.06) rows.push([...row]); // an exact duplicate
    }
  }
  if (dirty)
    rows.push(
      ['c3', 'i1', 'yesterday', 'view', '', '', '', '', ''],
      ['c4', 'i2', String(T0 + DAY), 'teleport', '', '', '', '', ''],
      ['', 'i2', String(T0 + DAY), 'view', '', '', '', '', ''],
      ['NULL', 'i2', String(T0 + DAY), 'view', '', '', '', '', ''],
      ['c5', 'i2', String(T0 + DAY), 'view', '', '1.5', '', '', ''],
      ['c6', 'i2', String(T0 + DAY), 'view', '', '', '', '', '-3'],
      ['c7', 'i999', String(T0 + 2 * DAY), 'view', '', '', '', '', ''],
      ['c8\u0001', 'i2', String(T0 + DAY), 'view', '', '', '', '', ''],
      [' c9 ', ' i3 ', String(T0 + 3 * DAY), 'cart', '', '', '', '', ''],
      ['c10', 'i4', String(T0 + 5 * DAY), 'view', '', '', '', '"a, quoted query"', ''],
      ['c11', 'i5', String(Math.round((T0 + DAY) / 1000)), 'view', '', '', '', '', ''],
    );
  // (shuffled, so that a customer's rows are spread over the file)
  return createRng(seed + 1).shuffle(rows);
}

const csv = (rows: string[][]) => [EVENTS_HEADER, ...rows.map((r) => r.join(','))].join('\n') + '\n';

function catalogFiles(name: string): { items: string; users: string } {
  const items = ['item_id,category_1,category_2,brand,price,title'];
  for (let i = 0; i < 40; i++) items.push(`i${i},cat${i % 4},sub${i % 7},b${i % 5},${(i * 1.7).toFixed(2)},Item ${i}`);
  items.push('i3,cat9,sub9,b9,1.00,repeated id', 'i40,cat1,sub1,b1,-2,negative price');
  const users = ['customer_id,age,segment'];
  for (let c = 0; c < 60; c += 2) users.push(`c${c},${20 + (c % 50)},seg${c % 3}`);
  users.push('c0,99,again');
  return { items: tmp.file(`${name}-items.csv`, items.join('\n') + '\n'), users: tmp.file(`${name}-users.csv`, users.join('\n') + '\n') };
}

/** A dirty single events CSV (with malformed lines, parser rejects, one a third of the way in and one last) + catalogue + users. */
function dirtySources(name: string, customers = 50): ContractSources {
  const lines = csv(eventRows(7, customers, true)).split('\n');
  lines.splice(Math.floor(lines.length / 3), 0, 'c13,i7,1704067200000,view,s1,1');
  const text = lines.join('\n').replace(/\n$/, '\nc12,i6,1704067200000,view,,1,1\n');
  return { events: [tmp.file(`${name}-events.csv`, text)], ...catalogFiles(name) };
}

/** Every output of two prepared folders compared: files byte for byte, the manifests, and the catalog's tables and view. */
async function expectSame(a: string, b: string): Promise<void> {
  for (const f of ['train.arrow', 'valid.arrow', 'test.arrow', 'item_features.arrow', 'vocabs.json', 'users.json']) {
    expect(existsSync(join(b, f)), f).toBe(existsSync(join(a, f)));
    if (existsSync(join(a, f))) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  }
  expect(manifestOf(b)).toEqual(manifestOf(a));
  expect(await catalogOf(b)).toEqual(await catalogOf(a));
}

function manifestOf(dir: string): Partial<PreparedManifest> {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const k of ['timingsMs', 'cpuMs', 'createdAt', 'reader', 'readerNote']) delete m[k];
  return m;
}

/** Every table of the catalog file and the view `events`, as sorted rows of text. */
async function catalogOf(dir: string): Promise<Record<string, string[]>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`ATTACH '${join(dir, 'catalog.duckdb')}' AS cat (READ_ONLY)`);
    const rows = async (sql: string) =>
      (await conn.runAndReadAll(sql)).getRows().map((r) => JSON.stringify(r.map((v) => (v === null ? null : String(v)))));
    const out: Record<string, string[]> = {};
    for (const [t] of (
      await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'cat' ORDER BY 1`)
    ).getRows()) {
      out[`columns ${t}`] = await rows(
        `SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'cat' AND table_name = '${t}' ORDER BY column_index`,
      );
      out[String(t)] = await rows(`SELECT * FROM cat."${t}" ORDER BY ALL`);
    }
    out['columns events'] = await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM cat.events)`);
    out.events = await rows('SELECT * FROM cat.events ORDER BY ALL');
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function single(
  name: string,
  sources: ContractSources,
  config: PrepareConfigInput,
): Promise<{ dir: string; manifest: PreparedManifest }> {
  const dir = join(tmp.dir, `${name}-single`);
  return { dir, manifest: await prepareFromSources({ dataset: name, sources, out: dir, config }) };
}

async function sharded(
  name: string,
  sources: ContractSources,
  config: PrepareConfigInput,
  n: number,
): Promise<{ dir: string; manifest: PreparedManifest }> {
  const dir = join(tmp.dir, `${name}-n${n}`);
  return { dir, manifest: await prepareSharded({ dataset: name, sources, out: dir, config, n }) };
}

describe('prepareSharded', () => {
  it('equals the single prep with 1, 3 and 8 shards (leave-one-out, dirty input, catalogue and users)', async () => {
    const sources = dirtySources('loo');
    const config: PrepareConfigInput = { split: 'loo' };
    const one = await single('loo', sources, config);
    // the input has what the test is about: duplicates, quarantined rows of each kind, a parser reject
    expect(one.manifest.counts.duplicates).toBeGreaterThan(5);
    expect(one.manifest.counts.quarantined).toBeGreaterThanOrEqual(12);
    expect(one.manifest.files.map((f) => f.kind)).toEqual(['items', 'users', 'events']);
    for (const n of [1, 3, 8]) {
      const s = await sharded('loo', sources, config, n);
      await expectSame(one.dir, s.dir);
      expect(s.manifest.readerNote).toBe(`sharded prep: ${n} shard${n === 1 ? '' : 's'}`);
    }
    const p = await loadPrepared(join(tmp.dir, 'loo-n8'));
    expect(p.train.customerIds.length).toBe(one.manifest.counts.users);
  }, 120_000);

  it('equals the single prep for the temporal split: the exact default cut-offs, and given ones (plain CSV)', async () => {
    const events = tmp.file('temporal-events.csv', csv(eventRows(11, 80, false)));
    const sources = { events: [events], ...catalogFiles('temporal') };
    const one = await single('temporal', sources, { split: 'temporal' });
    expect(one.manifest.cutoffsMs![1]).toBeGreaterThan(one.manifest.cutoffsMs![0]);
    await expectSame(one.dir, (await sharded('temporal', sources, { split: 'temporal' }, 3)).dir);
    const given: PrepareConfigInput = {
      split: 'temporal',
      cutoffsMs: [T0 + 40 * DAY, T0 + 70 * DAY],
      dedup: 'day',
      minItemCount: 2,
      maxSeqLen: 8,
    };
    const oneGiven = await single('temporal-given', sources, given);
    expect(oneGiven.manifest.splits.train.truncated).toBeGreaterThan(0);
    await expectSame(oneGiven.dir, (await sharded('temporal-given', sources, given, 3)).dir);
  }, 120_000);

  it('equals the single prep for the customer-disjoint split', async () => {
    const sources = dirtySources('customer', 70);
    const config: PrepareConfigInput = { split: 'customer', seed: 5 };
    const one = await single('customer', sources, config);
    expect(one.manifest.splits.valid.customers).toBeGreaterThan(0);
    await expectSame(one.dir, (await sharded('customer', sources, config, 3)).dir);
  }, 120_000);

  it('equals the single prep for CSV, JSONL and Parquet event files together', async () => {
    const rows = eventRows(13, 60, true);
    const third = Math.floor(rows.length / 3);
    const cols = EVENTS_HEADER.split(',');
    const a = tmp.file('multi-a.csv', csv(rows.slice(0, third)));
    const jsonl = rows.slice(third, 2 * third).map((r) => JSON.stringify(Object.fromEntries(cols.map((c, k) => [c, r[k]]))));
    const b = tmp.file(
      'multi-b.jsonl',
      [...jsonl, '{"customer_id": "c1", "item_id": {"nested": 1}, "ts": "2024-01-05", "event_type": "view"}', 'not json'].join('\n') + '\n',
    );
    const c = join(tmp.dir, 'multi-c.parquet');
    const staged = tmp.file('multi-c.csv', csv(rows.slice(2 * third).filter((r) => !r.some((v) => v.includes('"')))));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM read_csv('${staged}', all_varchar = true)) TO '${c}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const sources = { events: [a, b, c], ...catalogFiles('multi') };
    const config: PrepareConfigInput = { split: 'temporal' };
    const one = await single('multi', sources, config);
    expect(one.manifest.files.filter((f) => f.kind === 'events').every((f) => f.quarantined > 0 || f.file === c)).toBe(true);
    await expectSame(one.dir, (await sharded('multi', sources, config, 4)).dir);
  }, 120_000);

  it('equals the single prep with more shards than customers (empty shards)', async () => {
    const rows = eventRows(19, 3, false);
    const sources = { events: [tmp.file('tiny.csv', csv(rows))] };
    const one = await single('tiny', sources, { split: 'loo' });
    expect(one.manifest.counts.users).toBe(3);
    await expectSame(one.dir, (await sharded('tiny', sources, { split: 'loo' }, 8)).dir);
  }, 60_000);

  it('refuses a file of epoch seconds read as ms, as the single prep does', async () => {
    const rows = eventRows(17, 20, false).map((r) => [r[0], r[1], String(Math.round(Number(r[2]) / 1000)), ...r.slice(3)]);
    const events = tmp.file('seconds.csv', csv(rows));
    await expect(prepareFromSources({ dataset: 's', sources: { events: [events] }, out: join(tmp.dir, 'sec-1') })).rejects.toMatchObject({
      code: 'CFM_E_ROW_SCHEMA',
      location: { field: 'ts' },
    });
    await expect(prepareSharded({ dataset: 's', sources: { events: [events] }, out: join(tmp.dir, 'sec-3'), n: 3 })).rejects.toMatchObject({
      code: 'CFM_E_ROW_SCHEMA',
      location: { field: 'ts' },
    });
  }, 60_000);
});

describe('the sharded steps', () => {
  it('give the same folder whatever the order of the shards, and relocate like a single prep', async () => {
    const sources = dirtySources('order');
    const config: PrepareConfigInput = { split: 'temporal', dedup: 'day' };
    const one = await single('order', sources, config);
    const run = async (name: string, order: (xs: number[]) => number[]) => {
      const split = await splitSources({ sources, n: 5, out: join(tmp.dir, `${name}-work`), config });
      const ks = order([0, 1, 2, 3, 4]);
      const stats: ShardStats[] = [];
      for (const k of ks) stats.push(await shardStats(split.shards[k], split));
      const global = await mergeStats(stats, split);
      const outputs: ShardOutput[] = [];
      for (const k of order(ks)) outputs.push(await prepareShard(split.shards[k], global));
      const dir = join(tmp.dir, name);
      await mergeShards({ dataset: 'order', global, shards: order(outputs.map((_, i) => i)).map((i) => outputs[i]), out: dir });
      return { dir, global };
    };
    const rng = createRng(3);
    const forward = await run('order-a', (xs) => xs);
    const shuffled = await run('order-b', (xs) => rng.shuffle([...xs]));
    expect(shuffled.global.cutoffsMs).toEqual(forward.global.cutoffsMs);
    await expectSame(one.dir, forward.dir);
    await expectSame(one.dir, shuffled.dir);
    // a shard's stats missing, or given twice: refused
    const split = shuffled.global.split;
    const s0 = await shardStats(split.shards[0], split);
    await expect(mergeStats([s0, s0], split)).rejects.toMatchObject({ code: 'CFM_E_CONFIG', location: { field: 'stats' } });
    // the folder moved: the view over events/ follows it
    const moved = join(tmp.dir, 'order-moved');
    renameSync(forward.dir, moved);
    await relocatePrepared(moved);
    expect((await catalogOf(moved)).events).toEqual((await catalogOf(one.dir)).events);
    expect(readdirSync(join(moved, 'events')).length).toBeGreaterThan(0);
  }, 120_000);
});
