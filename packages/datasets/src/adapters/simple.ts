import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, orderTs } from '../contract-writer';

const lines = async (path: string, enc: BufferEncoding = 'utf8') => (await readFile(path, enc)).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim());

/** BERT4Rec's Amazon Beauty: `user item` per line, grouped by user, chronological (order only). */
export const bert4recBeauty: DatasetAdapter = {
  name: 'bert4rec-beauty',
  description: 'Amazon Beauty, BERT4Rec version (order only, no attributes)',
  folder: 'bert4rec-beauty',
  defaultSplit: 'loo',
  expected: { users: 40226, items: 54542, events: 353962 },
  async toContract(dir, work) {
    const w = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    let last = '', k = 0;
    for (const l of await lines(join(dir, 'beauty.txt'))) {
      const [user, item] = l.trim().split(/\s+/);
      k = user === last ? k + 1 : 0;
      last = user;
      await w.row([user, item, orderTs(k), 'purchase']);
    }
    return { events: [await w.close()] };
  },
};

/** ML-100K: u.data (user, item, rating, unix s), u.user labels, u.item genre flags → up to 3 genre levels. */
export const movielens100k: DatasetAdapter = {
  name: 'movielens-100k',
  description: 'MovieLens-100K with timestamps, user labels (age, gender, occupation) and genres',
  folder: 'movielens-100k',
  defaultSplit: 'temporal',
  expected: { users: 943, items: 1682, events: 100000 },
  async toContract(dir, work) {
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    for (const l of await lines(join(dir, 'u.data'))) {
      const [user, item, , ts] = l.split('\t');
      await ev.row([user, item, Number(ts) * 1000, 'view']);
    }
    const users = new CsvWriter(join(work, 'users.csv'), ['customer_id', 'age', 'gender', 'occupation']);
    for (const l of await lines(join(dir, 'u.user'))) {
      const [id, age, gender, occupation] = l.split('|');
      await users.row([id, age, gender, occupation]);
    }
    const genres = (await lines(join(dir, 'u.genre'))).map((l) => l.split('|')[0]);
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const l of await lines(join(dir, 'u.item'), 'latin1')) {
      const f = l.split('|');
      const g = f.slice(5).flatMap((flag, i) => (flag === '1' ? [genres[i]] : []));
      await items.row([f[0], g[0], g[1], g[2], null, null, null, null, f[1]]);
    }
    return { events: [await ev.close()], users: await users.close(), items: await items.close() };
  },
};

/** ReChorus Amazon Grocery: train.csv (user, item, unix s at day resolution) + item_meta.csv category id. */
export const amazonGrocery: DatasetAdapter = {
  name: 'amazon-grocery-rechorus',
  description: 'Amazon Grocery (ReChorus train split) with day timestamps and category ids',
  folder: 'amazon-grocery-rechorus',
  defaultSplit: 'temporal',
  expected: { users: 14681, items: 8687, events: 121892 },
  async toContract(dir, work) {
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    for (const l of (await lines(join(dir, 'train.csv'))).slice(1)) {
      const [user, item, time] = l.split('\t');
      await ev.row([user, item, Number(time) * 1000, 'purchase']);
    }
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const l of (await lines(join(dir, 'item_meta.csv'))).slice(1)) {
      const [item, cat] = l.split('\t');
      await items.row([item, `c${cat}`]);
    }
    return { events: [await ev.close()], items: await items.close() };
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
  async toContract(dir, work) {
    const ev = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const category = new Map<string, string>();
    for (const l of await lines(join(dir, 'UserBehavior_head.csv'))) {
      const [user, item, cat, behaviour, ts] = l.split(',');
      if (!category.has(item)) category.set(item, cat);
      // unknown behaviours pass through unchanged, so validation quarantines them with a reason
      await ev.row([user, item, Number(ts) * 1000, TAOBAO_TYPES[behaviour] ?? behaviour]);
    }
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for (const [item, cat] of category) await items.row([item, `c${cat}`]);
    return { events: [await ev.close()], items: await items.close() };
  },
};
