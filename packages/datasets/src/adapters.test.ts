import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, withConnection } from '@cfm/data';
import { prepareDataset } from './index';

const root = mkdtempSync(join(tmpdir(), 'cfm-adapters-'));
const dataDir = join(root, 'datasets');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A taobao-format folder: `lines` of user,item,category,behaviour,unix s (no header). */
function taobaoFolder(name: string, lines: Array<string | Buffer>): void {
  const dir = join(dataDir, name, 'taobao-userbehavior-sample');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'UserBehavior_head.csv'), Buffer.concat(lines.map((l) => Buffer.concat([Buffer.from(l), Buffer.from('\n')]))));
}

const t0 = Date.UTC(2024, 0, 1) / 1000;
const good = Array.from({ length: 30 }, (_, k) => `u${k % 5},i${k % 7},c${k % 3},${['pv', 'cart', 'fav', 'buy'][k % 4]},${t0 + k * 3600}`);

describe('adapters reconcile with the raw file', () => {
  it('quarantines one raw line of binary garbage, a line with extra fields and a bad time, each once, by raw line number', async () => {
    const garbage = Buffer.from([0x00, 0x9c, 0xff, 0x2c, 0x0d, 0x31, 0x2c, 0x32, 0x2c, 0x33, 0x2c, 0x34, 0xfe, 0x0d]); // NUL, bad UTF-8, '\r', commas
    const lines = [
      ...good.slice(0, 10),
      garbage,
      ...good.slice(10, 20),
      `u1,i1,c1,pv,${t0},extra`,
      `u1,i1,c1,pv,yesterday`,
      '',
      ...good.slice(20),
    ];
    taobaoFolder('dirty', lines);
    const out = join(root, 'out-dirty');
    const m = await prepareDataset({ dataset: 'taobao-userbehavior-sample', dataDir: join(dataDir, 'dirty'), out });
    // 33 non-blank raw lines = 30 events + 3 quarantined (none removed as duplicates)
    expect(m.eventLines).toEqual({ unit: 'raw lines', input: 33, accepted: 30, quarantined: 3, duplicates: 0, events: 30 });
    expect(m.raw).toEqual([
      {
        file: 'taobao-userbehavior-sample/UserBehavior_head.csv',
        kind: 'events',
        input: 33,
        converted: 30,
        quarantined: 3,
        oneRowPerLine: true,
      },
    ]);
    const db = await openDatabase(join(out, 'catalog.duckdb'));
    try {
      const q = await withConnection(db, (c) => queryRows(c, `SELECT file, "row", field, reason FROM quarantine ORDER BY "row"`));
      expect(q).toEqual([
        { file: 'taobao-userbehavior-sample/UserBehavior_head.csv', row: 11, field: 'line', reason: 'binary or control characters' },
        { file: 'taobao-userbehavior-sample/UserBehavior_head.csv', row: 22, field: 'line', reason: '6 fields, want 5' },
        { file: 'taobao-userbehavior-sample/UserBehavior_head.csv', row: 23, field: 'ts', reason: 'not an integer epoch in seconds' },
      ]);
    } finally {
      db.closeSync();
    }
  });

  it('adds the validation quarantine and the duplicates to the same count in raw lines', async () => {
    const lines = [...good, good[3], `u9,i1,c1,teleport,${t0}`, `u9,i1,c1,pv,${t0 * 1000}`];
    taobaoFolder('mixed', lines);
    const m = await prepareDataset({
      dataset: 'taobao-userbehavior-sample',
      dataDir: join(dataDir, 'mixed'),
      out: join(root, 'out-mixed'),
      dbPath: ':memory:',
    });
    expect(m.eventLines).toEqual({ unit: 'raw lines', input: 33, accepted: 31, quarantined: 2, duplicates: 1, events: 30 });
  });
});
