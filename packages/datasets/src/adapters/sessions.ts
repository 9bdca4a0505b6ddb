import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, parseCsvLine } from '../contract-writer';

const rows = async (path: string, sep: string) =>
  (await readFile(path, 'utf8')).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim()).slice(1).map((l) => parseCsvLine(l, sep));

/**
 * CIKM Cup 2016 (DIGINETICA): purchases + the item-view sample. Customer = userId, or `s<sessionId>` when
 * anonymous; time = eventdate (UTC) + timeframe ms; session id kept.
 */
export const diginetica: DatasetAdapter = {
  name: 'diginetica-cikm2016',
  description: 'CIKM Cup 2016: purchases + item-view sample, sessions, category ids',
  folder: 'diginetica-cikm2016',
  defaultSplit: 'temporal',
  expected: { events: 18025 + 12391 },
  async toContract(dir, work) {
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const seen = new Set<string>();
    const who = (user: string, session: string) => (user && user !== 'NA' ? user : `s${session}`);
    for (const [session, user, timeframe, date, , item] of await rows(join(dir, 'train-purchases.csv'), ';')) {
      seen.add(item);
      await ev.row([who(user, session), item, Date.parse(`${date}T00:00:00Z`) + Number(timeframe), 'purchase', session]);
    }
    for (const [session, user, item, timeframe, date] of await rows(join(dir, 'sample_train-item-views.csv'), ';')) {
      seen.add(item);
      await ev.row([who(user, session), item, Date.parse(`${date}T00:00:00Z`) + Number(timeframe), 'view', session]);
    }
    // catalogue: every product with an event (the full category file lists 184k products)
    const category = new Map((await rows(join(dir, 'product-categories.csv'), ';')).map(([item, cat]) => [item, cat]));
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const item of seen) await items.row([item, category.has(item) ? `c${category.get(item)}` : null]);
    return { events: [await ev.close()], items: await items.close() };
  },
};

const COVEO_TYPES: Record<string, string> = { detail: 'view', add: 'cart', purchase: 'purchase' };

/**
 * Coveo SIGIR eCom 2021 browsing sample: customer = session hash, item = sku hash. Page views without a
 * product and 'remove' actions have no contract counterpart and are quarantined by validation.
 */
export const coveo: DatasetAdapter = {
  name: 'coveo-sigir2021-sample',
  description: 'Coveo SIGIR eCom 2021 browsing sample (34 rows; sessions, category hashes, price buckets)',
  folder: 'coveo-sigir2021-sample',
  defaultSplit: 'temporal',
  expected: { inputRows: 34 },
  async toContract(dir, work) {
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const skus = new Set<string>();
    for (const [session, eventType, action, sku, ts] of await rows(join(dir, 'browsing_train_sample.csv'), ',')) {
      const type = COVEO_TYPES[action] ?? (action || eventType);
      if (sku) skus.add(sku);
      await ev.row([session, sku, ts, type, session]);
    }
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    // the content sample covers 4 products; the others enter the catalogue without attributes
    const described = new Set((await rows(join(dir, 'sku_to_content_sample.csv'), ',')).map((r) => r[0]));
    for (const sku of skus) if (!described.has(sku)) await items.row([sku]);
    for (const r of await rows(join(dir, 'sku_to_content_sample.csv'), ',')) {
      const [sku, , cat, , bucket] = r;
      const levels = cat.split('/').filter(Boolean);
      // price_bucket (1-10) is the only price information: used as an ordinal price
      await items.row([sku, levels[0], levels[1], levels[2], levels[3], null, null, bucket ? Number(bucket) : null, null]);
    }
    return { events: [await ev.close()], items: await items.close() };
  },
};
