import { join } from 'node:path';
import { filesOf, type DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER } from '../contract-writer';

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
  async toContract(src, work) {
    const files = filesOf(src);
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const seen = new Set<string>();
    const who = (user: string, session: string) => (user && user !== 'NA' ? user : `s${session}`);
    const time = (date: string, timeframe: string) => Date.parse(`${date}T00:00:00Z`) + Number(timeframe);
    for await (const {
      fields: [session, user, timeframe, date, , item],
    } of files.rows('train-purchases.csv', { sep: ';', fields: 6, header: true })) {
      seen.add(item);
      await ev.row([who(user, session), item, time(date, timeframe), 'purchase', session]);
    }
    for await (const {
      fields: [session, user, item, timeframe, date],
    } of files.rows('sample_train-item-views.csv', { sep: ';', fields: 5, header: true })) {
      seen.add(item);
      await ev.row([who(user, session), item, time(date, timeframe), 'view', session]);
    }
    // catalogue: every product with an event (the full category file lists 184k products)
    const category = new Map<string, string>();
    for await (const {
      fields: [item, cat],
    } of files.rows('product-categories.csv', { kind: 'items', sep: ';', fields: 2, header: true, oneRowPerLine: false }))
      category.set(item, cat);
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const item of seen) await items.row([item, category.has(item) ? `c${category.get(item)}` : null]);
    return { events: [await ev.close()], items: await items.close(), raw: files.raw };
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
  async toContract(src, work) {
    const files = filesOf(src);
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const skus = new Set<string>();
    for await (const {
      fields: [session, eventType, action, sku, ts],
    } of files.rows('browsing_train_sample.csv', { sep: ',', quoted: true, fields: 6, header: true })) {
      const type = COVEO_TYPES[action] ?? (action || eventType);
      if (sku) skus.add(sku);
      await ev.row([session, sku, ts, type, session]);
    }
    const content: string[][] = [];
    for await (const { fields } of files.rows('sku_to_content_sample.csv', {
      kind: 'items',
      sep: ',',
      quoted: true,
      fields: 5,
      header: true,
      oneRowPerLine: false,
    }))
      content.push(fields);
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    // the content sample covers 4 products; the others enter the catalogue without attributes
    const described = new Set(content.map((r) => r[0]));
    for (const sku of skus) if (!described.has(sku)) await items.row([sku]);
    for (const [sku, , cat, , bucket] of content) {
      const levels = cat.split('/').filter(Boolean);
      // price_bucket (1-10) is the only price information: used as an ordinal price
      await items.row([sku, levels[0], levels[1], levels[2], levels[3], null, null, bucket ? Number(bucket) : null, null]);
    }
    return { events: [await ev.close()], items: await items.close(), raw: files.raw };
  },
};
