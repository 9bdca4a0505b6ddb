import { join } from 'node:path';
import { filesOf, type DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, orderTs } from '../contract-writer';

/** A raw time in whole epoch seconds (converted to the contract's ms; anything else is refused by the adapter). */
const isSeconds = (t: string) => /^\d{1,12}$/.test(t);

/** BERT4Rec's Amazon Beauty: `user item` per line, grouped by user, chronological (order only). */
export const bert4recBeauty: DatasetAdapter = {
  name: 'bert4rec-beauty',
  description: 'Amazon Beauty, BERT4Rec version (order only, no attributes)',
  folder: 'bert4rec-beauty',
  defaultSplit: 'loo',
  expected: { users: 40226, items: 54542, events: 353962 },
  async toContract(src, work) {
    const files = filesOf(src);
    const w = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    let last = '',
      k = 0;
    for await (const {
      fields: [user, item],
    } of files.rows('beauty.txt', { sep: /\s+/, fields: 2 })) {
      k = user === last ? k + 1 : 0;
      last = user;
      await w.row([user, item, orderTs(k), 'purchase']);
    }
    return { events: [await w.close()], raw: files.raw };
  },
};

/** ML-100K: u.data (user, item, rating, unix s), u.user labels, u.item genre flags → up to 3 genre levels. */
export const movielens100k: DatasetAdapter = {
  name: 'movielens-100k',
  description: 'MovieLens-100K with timestamps, user labels (age, gender, occupation) and genres',
  folder: 'movielens-100k',
  defaultSplit: 'temporal',
  expected: { users: 943, items: 1682, events: 100000 },
  async toContract(src, work) {
    const files = filesOf(src);
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    for await (const r of files.rows('u.data', { sep: '\t', fields: 4 })) {
      const [user, item, , ts] = r.fields;
      if (isSeconds(ts)) await ev.row([user, item, Number(ts) * 1000, 'view']);
      else r.refuse('ts', 'not an integer epoch in seconds');
    }
    const users = new CsvWriter(join(work, 'users.csv'), ['customer_id', 'age', 'gender', 'occupation']);
    for await (const {
      fields: [id, age, gender, occupation],
    } of files.rows('u.user', { kind: 'users', sep: '|', fields: 5 }))
      await users.row([id, age, gender, occupation]);
    const genres: string[] = [];
    for await (const {
      fields: [g],
    } of files.rows('u.genre', { kind: 'items', sep: '|', fields: 2, oneRowPerLine: false }))
      genres.push(g);
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for await (const { fields: f } of files.rows('u.item', { kind: 'items', sep: '|', fields: 24, encoding: 'latin1' })) {
      const g = f.slice(5).flatMap((flag, i) => (flag === '1' ? [genres[i]] : []));
      await items.row([f[0], g[0], g[1], g[2], null, null, null, null, f[1]]);
    }
    return { events: [await ev.close()], users: await users.close(), items: await items.close(), raw: files.raw };
  },
};

/** ReChorus Amazon Grocery: train.csv (user, item, unix s at day resolution) + item_meta.csv category id. */
export const amazonGrocery: DatasetAdapter = {
  name: 'amazon-grocery-rechorus',
  description: 'Amazon Grocery (ReChorus train split) with day timestamps and category ids',
  folder: 'amazon-grocery-rechorus',
  defaultSplit: 'temporal',
  expected: { users: 14681, items: 8687, events: 121892 },
  async toContract(src, work) {
    const files = filesOf(src);
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    for await (const r of files.rows('train.csv', { sep: '\t', fields: 3, header: true })) {
      const [user, item, time] = r.fields;
      if (isSeconds(time)) await ev.row([user, item, Number(time) * 1000, 'purchase']);
      else r.refuse('time', 'not an integer epoch in seconds');
    }
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for await (const {
      fields: [item, cat],
    } of files.rows('item_meta.csv', { kind: 'items', sep: '\t', fields: 4, header: true }))
      await items.row([item, `c${cat}`]);
    return { events: [await ev.close()], items: await items.close(), raw: files.raw };
  },
};

const TAOBAO_TYPES: Record<string, string> = { pv: 'view', cart: 'cart', fav: 'favourite', buy: 'purchase' };

/** Taobao UserBehavior head: user,item,category,behaviour(pv/cart/fav/buy),unix s — no header. */
export const taobao: DatasetAdapter = {
  name: 'taobao-userbehavior-sample',
  description: 'Taobao UserBehavior sample: pv / cart / fav / buy with timestamps and category ids',
  folder: 'taobao-userbehavior-sample',
  defaultSplit: 'temporal',
  expected: { users: 815, items: 55368, events: 84475 },
  async toContract(src, work) {
    const files = filesOf(src);
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const category = new Map<string, string>();
    // five fields a line: a line with more or fewer, or with binary garbage, is quarantined (one raw line each)
    for await (const r of files.rows('UserBehavior_head.csv', { sep: ',', fields: 5 })) {
      const [user, item, cat, behaviour, ts] = r.fields;
      if (!isSeconds(ts)) {
        r.refuse('ts', 'not an integer epoch in seconds');
        continue;
      }
      if (!category.has(item)) category.set(item, cat);
      // unknown behaviours pass through unchanged, so validation quarantines them with a reason
      await ev.row([user, item, Number(ts) * 1000, TAOBAO_TYPES[behaviour] ?? behaviour]);
    }
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const [item, cat] of category) await items.row([item, `c${cat}`]);
    return { events: [await ev.close()], items: await items.close(), raw: files.raw };
  },
};
