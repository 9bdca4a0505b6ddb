import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCfmError } from '@cfm/core';
import { EVENT_COLUMNS, parseSimConfig, simulate, writeSimulation } from './index';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cfm-sim-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const small = { customers: 60, items: 800, days: 60, seed: 11 };
const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');

describe('writeSimulation', { timeout: 60_000 }, () => {
  it('writes byte-identical files for the same seed and different events for another seed', () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    writeSimulation(small, a);
    writeSimulation(small, b);
    writeSimulation({ ...small, seed: 12 }, c);
    const files = readdirSync(a).sort();
    expect(files).toEqual(readdirSync(b).sort());
    for (const f of files) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
    expect(readFileSync(join(a, 'events.csv')).equals(readFileSync(join(c, 'events.csv')))).toBe(false);
  });

  it('records row counts in the manifest that match the files', () => {
    const dir = tmp();
    const { manifest } = writeSimulation(small, dir);
    for (const [name, stats] of Object.entries(manifest.files)) {
      const text = readFileSync(join(dir, name), 'utf8');
      const header = name.endsWith('.jsonl') ? 0 : 1;
      expect(text.trimEnd().split('\n').length - header, name).toBe(stats.rows);
      expect(Buffer.byteLength(text), name).toBe(stats.bytes);
    }
    expect(manifest.files['events.csv'].rows).toBe(manifest.counts.events);
    expect(manifest.files['users.csv'].rows).toBe(manifest.counts.customers);
    expect(manifest.files['queries.csv'].rows).toBe(manifest.counts.queries);
    expect(manifest.files['incentives.csv'].rows).toBe(manifest.counts.offers);
    expect(manifest.files['impressions.csv'].rows + manifest.files['impressions_random.csv'].rows).toBe(manifest.counts.requests * 40);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stops at exactly targetEvents events', () => {
    const dir = tmp();
    const { manifest } = writeSimulation(
      { ...small, targetEvents: 12_345, outputs: { impressions: false, queries: false, incentives: false } },
      dir,
    );
    expect(manifest.counts.events).toBe(12_345);
    expect(lines(join(dir, 'events.csv')).length).toBe(12_346);
    expect(readdirSync(dir)).not.toContain('impressions.csv');
  });

  it('streams the same events that simulate() returns in memory', () => {
    const dir = tmp();
    writeSimulation(small, dir);
    const sim = simulate(small);
    const csv = lines(join(dir, 'events.csv'));
    expect(csv[0]).toBe(EVENT_COLUMNS);
    expect(csv.length - 1).toBe(sim.events.length);
    const fmt = (e: (typeof sim.events)[number]) =>
      [e.customerId, e.itemId, e.ts, e.type, e.sessionId, e.position ?? '', e.page ?? '', e.query ?? '', e.price!.toFixed(2)].join(',');
    for (const i of [0, 1, 500, sim.events.length - 1]) expect(csv[i + 1]).toBe(fmt(sim.events[i]));
    const items = lines(join(dir, 'items.csv'));
    expect(items.length - 1).toBe(sim.items.length);
    expect(items[1].split(',').slice(1, 5)).toEqual(sim.items[0].categories);
    const text = JSON.parse(lines(join(dir, 'items_text.jsonl'))[3]);
    expect(text).toEqual({ item_id: 'i3', text_vector: sim.items[3].textEmbedding });
  });
});

describe('parseSimConfig', () => {
  it.each([
    [{ items: 3 }, 'items'],
    [{ items: 100 }, 'items'],
    [{ impressions: { listLength: 401 } }, 'impressions.listLength'],
    [{ impressions: { listLength: 400, pageSize: 2 } }, 'impressions.pageSize'],
    [{ startDate: '2023/01/01' }, 'startDate'],
  ])('rejects %j naming field %s', (input, field) => {
    try {
      parseSimConfig(input as never);
      expect.unreachable();
    } catch (e) {
      expect(isCfmError(e) && e.code === 'CFM_E_CONFIG' && e.location.field).toBe(field);
    }
  });

  it('fills nested defaults', () => {
    const c = parseSimConfig({ funnel: { cartRate: 0.2 } });
    expect(c.funnel.cartRate).toBe(0.2);
    expect(c.funnel.purchaseGivenCart).toBe(0.5);
    expect(c.impressions.listLength).toBe(40);
  });
});
