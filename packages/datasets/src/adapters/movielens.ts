import { join } from 'node:path';
import { filesOf, type DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, orderTs } from '../contract-writer';

const AGE: Record<string, string> = {
  '1': 'under 18',
  '18': '18-24',
  '25': '25-34',
  '35': '35-44',
  '45': '45-49',
  '50': '50-55',
  '56': '56+',
};

/** ML-1M: ml-1m_sequences.txt.gz (`user movie`, chronological per user) + users.dat + movies.dat (latin-1). */
export const movielens1m: DatasetAdapter = {
  name: 'movielens-1m',
  description: 'MovieLens-1M full histories (order only) + users.dat labels (gender, age, occupation) + genres',
  folder: 'movielens-1m',
  defaultSplit: 'loo',
  expected: { users: 6040, items: 3706, events: 1000209 },
  async toContract(src, work) {
    const files = filesOf(src);
    const events = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    let last = '';
    let k = 0;
    for await (const {
      fields: [user, movie],
    } of files.rows('ml-1m_sequences.txt.gz', { sep: /\s+/, fields: 2, gzip: true })) {
      k = user === last ? k + 1 : 0;
      last = user;
      await events.row([user, movie, orderTs(k), 'view']);
    }
    // users.dat / movies.dat: `::`-separated, latin-1
    const users = new CsvWriter(join(work, 'users.csv'), ['customer_id', 'gender', 'age', 'occupation']);
    for await (const {
      fields: [id, g, age, occ],
    } of files.rows('users.dat', { kind: 'users', sep: '::', fields: 5, encoding: 'latin1' }))
      await users.row([id, g, age, occ]);
    // genres → category_1..3 (first three genres, in the file's order)
    const items = new CsvWriter(join(work, 'items.csv'), ITEM_HEADER);
    for await (const {
      fields: [id, title, genres],
    } of files.rows('movies.dat', { kind: 'items', sep: '::', fields: 3, encoding: 'latin1' })) {
      const g = genres.trim().split('|');
      await items.row([id, g[0], g[1], g[2], null, null, null, null, title]);
    }
    return { events: [await events.close()], users: await users.close(), items: await items.close(), raw: files.raw };
  },
};

export { AGE as ML_AGE_BUCKETS };
